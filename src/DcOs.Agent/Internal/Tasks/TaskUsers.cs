using DcOs.Agent.Internal.Linux;

namespace DcOs.Agent.Internal.Tasks;

/// <summary>
/// Which account a task runs as. An agent running as root runs each task as the user it names, or as
/// <see cref="AgentOptions.TaskUser"/> (<c>nobody</c>) when it names none, never as root unless asked; the switch is
/// made by <c>setpriv</c> (util-linux) between the wrapper, which stays root to record the exit status, and the command.
/// An agent that is not root runs tasks as itself and refuses a task that names another user (Mesos' --switch_user).
/// </summary>
internal sealed class TaskUsers(string defaultUser, UserAccount agent, string? setpriv)
{
    /// <summary>setpriv's path, null when it is not installed.</summary>
    public string? SetPriv { get; } = setpriv;

    public UserAccount Agent { get; } = agent;

    public static TaskUsers ForThisProcess(string defaultUser) =>
        new(defaultUser, UserAccounts.Current(), new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists));

    /// <summary>The account for a task that asks for <paramref name="requested"/> (null: the default), or why there is none.</summary>
    public (UserAccount? Account, string? Problem) Resolve(string? requested)
    {
        if (!Agent.IsRoot)
        {
            return requested is null || requested == Agent.Name
                ? (Agent, null)
                : (null, $"the agent runs as '{Agent.Name}' and cannot run tasks as '{requested}' (an agent switches users only when it runs as root)");
        }
        var name = requested ?? defaultUser;
        var account = name == Agent.Name ? Agent : UserAccounts.Find(name);
        if (account is null) return (null, $"user '{name}' does not exist on this agent (not in {UserAccounts.PasswdFile})");
        if (Switches(account) && SetPriv is null) return (null, "this agent cannot switch users: setpriv (util-linux) is not installed");
        return (account, null);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _supplementary = new(StringComparer.Ordinal);
    private string? _searchablePath;

    /// <summary>
    /// Whether /etc/group lists <paramref name="account"/> in a group besides its own: then setpriv initialises them
    /// (initgroups); otherwise it clears them, which spares each launch reading /etc/group. Cached per user.
    /// </summary>
    public bool HasSupplementaryGroups(UserAccount account) => _supplementary.GetOrAdd(account.Name, name =>
    {
        if (!File.Exists("/etc/group")) return true;
        foreach (var line in File.ReadLines("/etc/group"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 4 && fields[3].Split(',').Contains(name)) return true;
        }
        return false;
    });

    /// <summary>The agent's PATH without the directories only it may search; computed once (the agent's PATH does not change).</summary>
    public string SearchablePath(IReadOnlyDictionary<string, string> baseEnvironment) => _searchablePath ??= string.Join(':',
        (baseEnvironment.GetValueOrDefault("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries).Where(SearchableByAnyone));

    /// <summary>Whether running as <paramref name="account"/> needs a switch from the agent's own account.</summary>
    public bool Switches(UserAccount account) => account.Uid != Agent.Uid || account.Gid != Agent.Gid;

    private static bool SearchableByAnyone(string directory)
    {
        if (OperatingSystem.IsWindows()) return true;
        try
        {
            for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
            {
                if (!dir.Exists || (dir.UnixFileMode & UnixFileMode.OtherExecute) == 0) return false;
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }
}
