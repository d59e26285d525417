using System.Globalization;

namespace DcOs.Agent.Internal.Linux;

/// <summary>A Unix account a task runs as.</summary>
internal sealed record UserAccount(string Name, int Uid, int Gid)
{
    public bool IsRoot => Uid == 0;

    /// <summary>"uid:gid", as the task wrapper takes it.</summary>
    public string Ids => string.Create(CultureInfo.InvariantCulture, $"{Uid}:{Gid}");
}

/// <summary>
/// Looks accounts up in <c>/etc/passwd</c>. Agents on machines whose users come from a directory service (NSS) need
/// those users listed locally too; the agent says which user it could not find rather than guess.
/// </summary>
internal static class UserAccounts
{
    public const string PasswdFile = "/etc/passwd";

    /// <summary>The account named <paramref name="name"/>, or null when there is none.</summary>
    public static UserAccount? Find(string name, string passwd = PasswdFile)
    {
        if (!File.Exists(passwd)) return null;
        foreach (var line in File.ReadLines(passwd))
        {
            var fields = line.Split(':');
            if (fields.Length < 4 || fields[0] != name) continue;
            if (int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) &&
                int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
                return new UserAccount(name, uid, gid);
        }
        return null;
    }

    /// <summary>The account of the agent's own process (its effective uid).</summary>
    public static UserAccount Current()
    {
        var uid = (int)LibC.geteuid();
        var gid = (int)LibC.getegid();
        if (File.Exists(PasswdFile))
        {
            foreach (var line in File.ReadLines(PasswdFile))
            {
                var fields = line.Split(':');
                if (fields.Length >= 3 && fields[2] == uid.ToString(CultureInfo.InvariantCulture)) return new UserAccount(fields[0], uid, gid);
            }
        }
        return new UserAccount(uid.ToString(CultureInfo.InvariantCulture), uid, gid);
    }
}
