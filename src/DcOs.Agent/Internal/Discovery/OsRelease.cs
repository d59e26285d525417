namespace DcOs.Agent.Internal.Discovery;

/// <summary>The fields of /etc/os-release the agent reports.</summary>
internal sealed record OsRelease(string? Id, string? VersionId)
{
    public static OsRelease Read(string path)
    {
        try
        {
            string? id = null, version = null;
            foreach (var line in File.ReadLines(path))
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) continue;
                var value = line[(eq + 1)..].Trim().Trim('"', '\'');
                switch (line[..eq].Trim())
                {
                    case "ID": id = value; break;
                    case "VERSION_ID": version = value; break;
                }
            }
            return new OsRelease(id, version);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new OsRelease(null, null);
        }
    }
}
