using System.Globalization;

namespace DcOs.IntegrationTests;

/// <summary>The machine's processes as /proc lists them: how a test finds the real processes of tasks and agents.</summary>
internal static class ProcessTable
{
    /// <summary>Pids (ascending) of processes whose argv matches.</summary>
    public static List<int> Matching(Func<string[], bool> match)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                if (match(File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries))) pids.Add(pid);
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        pids.Sort();
        return pids;
    }

    /// <summary>Pids of processes whose command line is exactly <c>sleep marker</c>: the tasks, not their wrappers.</summary>
    public static List<int> Sleeping(string marker) => Matching(argv => argv is ["sleep", var m] && m == marker);

    /// <summary>
    /// Kills (SIGKILL) every process whose working directory is under <paramref name="directory"/>: the tasks a
    /// test's agents left running (their wrappers run in their sandboxes), so that nothing outlives the test.
    /// Returns how many it killed.
    /// </summary>
    public static int KillUnder(string directory)
    {
        var root = Path.GetFullPath(directory).TrimEnd('/') + "/";
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (cwd is not null && (cwd + "/").StartsWith(root, StringComparison.Ordinal) && Posix.Kill(pid, Posix.SigKill) == 0) killed++;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return killed;
    }
}
