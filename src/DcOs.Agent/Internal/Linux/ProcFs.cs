using System.Globalization;

namespace DcOs.Agent.Internal.Linux;

/// <summary>One process as /proc/&lt;pid&gt;/stat describes it (the fields the agent reads).</summary>
/// <param name="Pid">The process id.</param>
/// <param name="State">R, S, D, Z (zombie), T...</param>
/// <param name="ParentPid">The parent's pid.</param>
/// <param name="ProcessGroup">The process group id.</param>
/// <param name="UserTicks">CPU time in user mode, in clock ticks.</param>
/// <param name="SystemTicks">CPU time in kernel mode, in clock ticks.</param>
/// <param name="StartTime">Field 22: start time after boot in clock ticks; with the boot id, identifies the process for good.</param>
/// <param name="RssPages">Resident set size in pages.</param>
internal readonly record struct ProcStat(int Pid, char State, int ParentPid, int ProcessGroup, ulong UserTicks, ulong SystemTicks, ulong StartTime, long RssPages);

/// <summary>Reads /proc: process identity (pid plus start time, within one boot) and usage.</summary>
internal static class ProcFs
{
    private static readonly Lazy<long> ClockTicks = new(() =>
    {
        try
        {
            var ticks = LibC.sysconf(2); // _SC_CLK_TCK
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    });

    /// <summary>Clock ticks per second (USER_HZ), for utime/stime/starttime.</summary>
    public static long TicksPerSecond => ClockTicks.Value;

    /// <summary>When the machine booted (btime in /proc/stat), to the second.</summary>
    public static DateTime BootTimeUtc()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/stat"))
            {
                if (line.StartsWith("btime ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                    return DateTime.UnixEpoch.AddSeconds(seconds);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DateTime.MinValue;
        }
        return DateTime.MinValue;
    }

    public static bool TryReadStat(int pid, out ProcStat stat)
    {
        stat = default;
        string text;
        try
        {
            text = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return TryParseStat(text, out stat);
    }

    /// <summary>Parses /proc/&lt;pid&gt;/stat; the command name (field 2) may hold spaces and ')' so parsing starts after the last ')'.</summary>
    public static bool TryParseStat(string text, out ProcStat stat)
    {
        stat = default;
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open <= 0 || close < open || close + 2 >= text.Length) return false;
        if (!int.TryParse(text.AsSpan(0, open).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
        var fields = text[(close + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        if (fields.Length < 22) return false;
        var ok = int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ppid)
            & int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pgrp)
            & ulong.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var utime)
            & ulong.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var stime)
            & ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            & long.TryParse(fields[21], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rss);
        if (!ok || fields[0].Length != 1) return false;
        stat = new ProcStat(pid, fields[0][0], ppid, pgrp, utime, stime, start, rss);
        return true;
    }

    /// <summary>Whether <paramref name="pid"/> is alive (not a zombie) and started at <paramref name="startTime"/>.</summary>
    public static bool IsSameProcess(int pid, ulong startTime) =>
        pid > 0 && TryReadStat(pid, out var stat) && stat.StartTime == startTime && stat.State != 'Z' && stat.State != 'X';

    /// <summary>
    /// SIGKILLs what is left of the process group led by a task wrapper that was not our child (re-attached, or ended
    /// while the agent was down) and is gone now. While any member of the group lives the kernel cannot give the
    /// leader's pid to a new process, so a process with that pid and another start time means the old group is empty:
    /// nothing is sent then, and a reused pid is never signalled.
    /// </summary>
    public static void KillGroupOfGoneLeader(int pgid, ulong startTime)
    {
        if (pgid <= 0) return;
        if (TryReadStat(pgid, out var leader) && leader.StartTime != startTime) return;
        LibC.kill(-pgid, LibC.SIGKILL);
    }

    /// <summary>Every live process whose process group is <paramref name="pgid"/>.</summary>
    public static List<ProcStat> ProcessesInGroup(int pgid)
    {
        var result = new List<ProcStat>();
        foreach (var dir in EnumerateProcessIds())
        {
            if (TryReadStat(dir, out var stat) && stat.ProcessGroup == pgid && stat.State != 'Z') result.Add(stat);
        }
        return result;
    }

    public static IEnumerable<int> EnumerateProcessIds()
    {
        IEnumerable<string> dirs;
        try
        {
            dirs = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var dir in dirs)
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) yield return pid;
        }
    }

    /// <summary>CPU seconds and resident bytes summed over the processes of a group.</summary>
    public static (double CpuSeconds, long MemoryBytes) GroupUsage(int pgid)
    {
        ulong ticks = 0;
        long pages = 0;
        foreach (var p in ProcessesInGroup(pgid))
        {
            ticks += p.UserTicks + p.SystemTicks;
            pages += p.RssPages;
        }
        return (ticks / (double)TicksPerSecond, pages * Environment.SystemPageSize);
    }
}
