using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DcOs.Agent.Internal.Linux;
using DcOs.Core;

namespace DcOs.Agent.Internal.Isolation;

/// <summary>One task's cgroup: a directory per hierarchy (one with cgroup v2; cpu, cpuacct and memory with v1).</summary>
/// <param name="Directories">The task's cgroup directories.</param>
internal sealed record TaskCgroup(IReadOnlyList<string> Directories)
{
    /// <summary>The cgroup.procs files the task wrapper writes its pid to before it runs the command.</summary>
    public IEnumerable<string> ProcsFiles => Directories.Select(d => Path.Combine(d, "cgroup.procs"));
}

/// <summary>
/// Per-task cgroups: cgroup v2 (a unified hierarchy with the cpu and memory controllers), or v1 (separate cpu, cpuacct
/// and memory hierarchies). The agent keeps a parent cgroup per work directory under <see cref="AgentOptions.CgroupsRoot"/>
/// and a child per task with cpu shares (weight), an optional CFS quota, and a memory limit; the task wrapper joins it
/// before running the command, so no task process ever runs outside it.
/// </summary>
internal sealed class Cgroups
{
    private const long CfsPeriodUs = 100_000;
    private const long MinQuotaUs = 1_000;

    private readonly bool _cfsQuota;
    private readonly List<string> _parents;

    private Cgroups(int version, string? cpu, string? cpuacct, string memory, List<string> parents, bool cfsQuota)
    {
        Version = version;
        CpuParent = cpu;
        CpuacctParent = cpuacct;
        MemoryParent = memory;
        _parents = parents;
        _cfsQuota = cfsQuota;
    }

    /// <summary>1 or 2.</summary>
    public int Version { get; }

    /// <summary>v1: the agent's parent in the cpu hierarchy (may be co-mounted with cpuacct); v2: null.</summary>
    public string? CpuParent { get; }

    /// <summary>v1: the agent's parent in a separate cpuacct hierarchy, when cpuacct is not co-mounted with cpu.</summary>
    public string? CpuacctParent { get; }

    /// <summary>v1: the agent's parent in the memory hierarchy; v2: the agent's parent cgroup.</summary>
    public string MemoryParent { get; }

    public string Describe() => Version == 2
        ? $"cgroup v2 at {MemoryParent}"
        : $"cgroup v1 (cpu {CpuParent}, memory {MemoryParent}{(CpuacctParent is null ? "" : ", cpuacct " + CpuacctParent)})";

    /// <summary>
    /// Finds a writable hierarchy and creates the agent's parent cgroups, or returns null with the reason (read-only
    /// /sys/fs/cgroup in a container, no root, a controller missing...).
    /// </summary>
    public static Cgroups? TryCreate(string root, string agentKey, bool cfsQuota, out string? reason)
    {
        reason = null;
        try
        {
            var mounts = ReadMounts();
            var own = ReadOwnCgroups();
            var v2 = mounts.FirstOrDefault(m => m.Type == "cgroup2" && HasControllers(m.MountPoint, "cpu", "memory"));
            if (v2 is not null)
            {
                var parent = ParentPath(v2, own.GetValueOrDefault("") ?? "/", root, agentKey);
                var created = MissingLevels(v2.MountPoint, parent);
                EnableControllersV2(v2.MountPoint, parent);
                var cgroups = new Cgroups(2, null, null, parent, [.. created.Append(parent).Distinct()], cfsQuota);
                cgroups.Probe();
                return cgroups;
            }
            var cpu = mounts.FirstOrDefault(m => m.Type == "cgroup" && m.Controllers.Contains("cpu"));
            var memory = mounts.FirstOrDefault(m => m.Type == "cgroup" && m.Controllers.Contains("memory"));
            if (cpu is null || memory is null)
            {
                reason = "no cgroup v2 hierarchy with the cpu and memory controllers, and no cgroup v1 cpu and memory hierarchies are mounted";
                return null;
            }
            var cpuacct = mounts.FirstOrDefault(m => m.Type == "cgroup" && m.Controllers.Contains("cpuacct"));
            var cpuParent = ParentPath(cpu, OwnPath(own, cpu), root, agentKey);
            var memoryParent = ParentPath(memory, OwnPath(own, memory), root, agentKey);
            var cpuacctParent = cpuacct is null || ReferenceEquals(cpuacct, cpu) ? null : ParentPath(cpuacct, OwnPath(own, cpuacct), root, agentKey);
            var parents = new List<string> { cpuParent, memoryParent };
            if (cpuacctParent is not null) parents.Add(cpuacctParent);
            var createdLevels = new List<string>();
            createdLevels.AddRange(MissingLevels(cpu.MountPoint, cpuParent));
            createdLevels.AddRange(MissingLevels(memory.MountPoint, memoryParent));
            if (cpuacctParent is not null) createdLevels.AddRange(MissingLevels(cpuacct!.MountPoint, cpuacctParent));
            foreach (var p in parents) Directory.CreateDirectory(p);
            var v1 = new Cgroups(1, cpuParent, cpuacctParent, memoryParent, [.. createdLevels.Concat(parents).Distinct()], cfsQuota);
            v1.Probe();
            return v1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            reason = e.Message;
            return null;
        }
    }

    /// <summary>A stable cgroup name for a task: readable, unique (hash of both ids), short enough for any file system.</summary>
    public static string TaskName(FrameworkId framework, TaskId task)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(framework.Value + "/" + task.Value));
        var readable = task.Value.Length > 64 ? task.Value[..64] : task.Value;
        return readable + "-" + Convert.ToHexStringLower(hash, 0, 5);
    }

    public static string AgentKey(string workDir) =>
        "agent-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(workDir))), 0, 6);

    /// <summary>Creates the task's cgroups with limits from its resources.</summary>
    /// <exception cref="IOException">A directory or a limit could not be written.</exception>
    public TaskCgroup Create(string name, Resources resources)
    {
        var cpus = resources.Cpus;
        var memBytes = (long)(resources.MemMb * 1024 * 1024);
        var shares = Math.Max(2, (long)Math.Round(cpus * 1024));
        var quota = Math.Max(MinQuotaUs, (long)Math.Round(cpus * CfsPeriodUs));
        var dirs = new List<string>();
        try
        {
            if (Version == 2)
            {
                var dir = Path.Combine(MemoryParent, name);
                Directory.CreateDirectory(dir);
                dirs.Add(dir);
                var weight = Math.Clamp(1 + (shares - 2) * 9999 / 262142, 1, 10000);
                Write(dir, "cpu.weight", weight.ToString(CultureInfo.InvariantCulture));
                if (_cfsQuota && cpus > 0) Write(dir, "cpu.max", string.Create(CultureInfo.InvariantCulture, $"{quota} {CfsPeriodUs}"));
                if (memBytes > 0)
                {
                    Write(dir, "memory.max", memBytes.ToString(CultureInfo.InvariantCulture));
                    TryWrite(dir, "memory.swap.max", "0");
                }
            }
            else
            {
                var cpu = Path.Combine(CpuParent!, name);
                Directory.CreateDirectory(cpu);
                dirs.Add(cpu);
                Write(cpu, "cpu.shares", shares.ToString(CultureInfo.InvariantCulture));
                // A new v1 cgroup always starts with the kernel's default period of 100 ms (CfsPeriodUs), so only the quota
                // is written: each write to either file re-checks the bandwidth of every sibling (tg_set_bandwidth), and
                // with a thousand tasks on the agent that walk is what a launch would wait on.
                if (_cfsQuota && cpus > 0) Write(cpu, "cpu.cfs_quota_us", quota.ToString(CultureInfo.InvariantCulture));
                if (CpuacctParent is not null)
                {
                    var acct = Path.Combine(CpuacctParent, name);
                    Directory.CreateDirectory(acct);
                    dirs.Add(acct);
                }
                var memory = Path.Combine(MemoryParent, name);
                Directory.CreateDirectory(memory);
                dirs.Add(memory);
                if (memBytes > 0)
                {
                    Write(memory, "memory.limit_in_bytes", memBytes.ToString(CultureInfo.InvariantCulture));
                    // Where swap accounting is on, the same limit on memory+swap keeps the task from swapping instead.
                    TryWrite(memory, "memory.memsw.limit_in_bytes", memBytes.ToString(CultureInfo.InvariantCulture));
                }
            }
            return new TaskCgroup(dirs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var d in dirs) TryRemoveDirectory(d);
            throw new IOException($"could not create the task's cgroup {name}: {e.Message}", e);
        }
    }

    /// <summary>Whether the kernel's OOM killer acted in the task's cgroup.</summary>
    public bool WasOomKilled(TaskCgroup cgroup)
    {
        var memory = MemoryDirectory(cgroup);
        if (memory is null) return false;
        var file = Version == 2 ? "memory.events" : "memory.oom_control";
        return ReadKeyed(Path.Combine(memory, file), "oom_kill") > 0;
    }

    /// <summary>
    /// CPU seconds used by the task's cgroup (every process it ever had, exited ones included) and the resident memory
    /// of the processes in it now. Resident set sizes rather than the cgroup's charge: v1 does not move a process's
    /// existing pages when it joins, and the charge includes page cache.
    /// </summary>
    public (double CpuSeconds, long MemoryBytes)? Usage(TaskCgroup cgroup)
    {
        try
        {
            double cpu;
            var dir = MemoryDirectory(cgroup) ?? cgroup.Directories[0];
            if (Version == 2)
            {
                cpu = ReadKeyed(Path.Combine(cgroup.Directories[0], "cpu.stat"), "usage_usec") / 1e6;
            }
            else
            {
                var acctDir = cgroup.Directories.FirstOrDefault(d => File.Exists(Path.Combine(d, "cpuacct.usage")));
                cpu = acctDir is null ? 0 : ReadLong(Path.Combine(acctDir, "cpuacct.usage")) / 1e9;
            }
            long pages = 0;
            foreach (var pid in ReadPids(dir))
            {
                if (ProcFs.TryReadStat(pid, out var stat)) pages += stat.RssPages;
            }
            return (cpu, pages * Environment.SystemPageSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// SIGKILLs whatever is left in the task's cgroups and removes them; waits (briefly, on the kernel) for killed
    /// processes to be gone, since a cgroup with members cannot be removed. Returns what could not be removed.
    /// </summary>
    public async Task<List<string>> DestroyAsync(TaskCgroup cgroup)
    {
        var left = new List<string>();
        foreach (var dir in cgroup.Directories)
        {
            // No event tells when the kernel has released a cgroup's last process; poll briefly (real time: fake time in
            // tests cannot make the kernel faster). rmdir first: usually the group is gone already (the agent kills it
            // when it reaps the wrapper), and in v1 each read of cgroup.procs builds a pid list a kernel worker frees later.
            var removed = TryRemoveDirectory(dir);
            for (var attempt = 0; attempt < 100 && !removed; attempt++)
            {
                foreach (var pid in ReadPids(dir)) LibC.kill(pid, LibC.SIGKILL);
                removed = TryRemoveDirectory(dir);
                if (!removed) await Task.Delay(TimeSpan.FromMilliseconds(attempt < 10 ? 5 : 50), TimeProvider.System).ConfigureAwait(false);
            }
            if (!removed) left.Add(dir);
        }
        return left;
    }

    /// <summary>
    /// Removes the cgroup directories the agent created for itself (its parent, and levels such as "dcos" that did not
    /// exist before), deepest first, when they are empty; those still holding tasks or other agents stay.
    /// </summary>
    public void RemoveParents()
    {
        foreach (var p in _parents.OrderByDescending(p => p.Length)) TryRemoveDirectory(p);
    }

    /// <summary>
    /// The directories from the agent's parent up to (not including) the first level that existed before the agent
    /// ran for the first time, as far as it can tell: levels that exist but hold nothing but agent parents ("dcos"
    /// shared by several agents) count as the agents' own, so the last agent to stop removes them.
    /// </summary>
    private static List<string> MissingLevels(string mountPoint, string path)
    {
        var levels = new List<string>();
        for (var dir = path; dir.Length > mountPoint.Length; dir = Path.GetDirectoryName(dir)!)
        {
            if (Directory.Exists(dir) && !IsAgentLevel(dir)) break;
            levels.Add(dir);
        }
        return levels;
    }

    /// <summary>Whether a cgroup holds no processes and only "agent-*" children (its own kernel files aside).</summary>
    private static bool IsAgentLevel(string dir)
    {
        try
        {
            if (Path.GetFileName(dir).StartsWith("agent-", StringComparison.Ordinal)) return true;
            return ReadPids(dir).FirstOrDefault() == 0 && Directory.EnumerateDirectories(dir).All(d => Path.GetFileName(d).StartsWith("agent-", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private string? MemoryDirectory(TaskCgroup cgroup) =>
        Version == 2 ? cgroup.Directories.FirstOrDefault() : cgroup.Directories.FirstOrDefault(d => d.StartsWith(MemoryParent + "/", StringComparison.Ordinal));

    /// <summary>Creates and removes a throw-away child with a limit, so a read-only hierarchy is found at start, not at the first task.</summary>
    private void Probe()
    {
        var name = "probe-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var cgroup = Create(name, Resources.FromScalars(cpus: 0.1, memMb: 64));
        foreach (var d in cgroup.Directories)
        {
            if (!TryRemoveDirectory(d)) throw new IOException($"could not remove the probe cgroup {d}");
        }
    }

    private static bool TryRemoveDirectory(string dir)
    {
        try
        {
            // cgroup directories hold only kernel files: rmdir, never a recursive delete.
            Directory.Delete(dir, recursive: false);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IEnumerable<int> ReadPids(string dir)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(dir, "cgroup.procs"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) yield return pid;
        }
    }

    private static void Write(string dir, string file, string value) => File.WriteAllText(Path.Combine(dir, file), value);

    private static void TryWrite(string dir, string file, string value)
    {
        var path = Path.Combine(dir, file);
        if (!File.Exists(path)) return;
        try
        {
            File.WriteAllText(path, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Optional limit (swap accounting may be off); the main limit is set.
        }
    }

    private static long ReadLong(string path) => long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);

    private static long ReadKeyed(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return v;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        return 0;
    }

    private static bool HasControllers(string mountPoint, params string[] wanted)
    {
        try
        {
            var controllers = File.ReadAllText(Path.Combine(mountPoint, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return wanted.All(controllers.Contains);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// v2: a cgroup gets a controller only through its parent's subtree_control, so cpu and memory are enabled at every
    /// level from the root down to the agent's parent itself, whose children are the tasks' cgroups.
    /// </summary>
    internal static void EnableControllersV2(string mountPoint, string parent)
    {
        var current = mountPoint;
        EnableControllersV2In(current);
        foreach (var segment in Path.GetRelativePath(mountPoint, parent).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, segment);
            Directory.CreateDirectory(current);
            EnableControllersV2In(current);
        }
    }

    private static void EnableControllersV2In(string cgroup)
    {
        var control = Path.Combine(cgroup, "cgroup.subtree_control");
        // Whole names: "cpuset" is not "cpu".
        var enabled = File.ReadAllText(control).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (enabled.Contains("cpu") && enabled.Contains("memory")) return;
        try
        {
            File.WriteAllText(control, "+cpu +memory");
        }
        catch (IOException e)
        {
            throw new IOException($"could not enable the cpu and memory controllers in {cgroup} ({e.Message}); " +
                "a cgroup v2 cgroup with processes cannot delegate controllers: set AgentOptions.CgroupsRoot to an absolute path such as /dcos", e);
        }
    }

    private static string ParentPath(Mount mount, string ownPath, string root, string agentKey)
    {
        string relative;
        if (root.StartsWith('/'))
        {
            relative = root.Trim('/');
        }
        else
        {
            // The agent's own cgroup, relative to what this mount shows (a container may see only part of the tree).
            var own = ownPath;
            if (mount.Root != "/" && own.StartsWith(mount.Root, StringComparison.Ordinal)) own = own[mount.Root.Length..];
            relative = Path.Combine(own.Trim('/'), root.Trim('/'));
        }
        return Path.Combine(mount.MountPoint, relative, agentKey);
    }

    private static string OwnPath(Dictionary<string, string> own, Mount mount)
    {
        foreach (var controller in mount.Controllers)
        {
            if (own.TryGetValue(controller, out var path)) return path;
        }
        return "/";
    }

    /// <summary>Controller name ("" for v2) to the agent's own cgroup path, from /proc/self/cgroup.</summary>
    private static Dictionary<string, string> ReadOwnCgroups()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[1].Length == 0) result[""] = parts[2];
            foreach (var c in parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries)) result[c] = parts[2];
        }
        return result;
    }

    private static List<Mount> ReadMounts()
    {
        var mounts = new List<Mount>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var left = line[..dash].Split(' ');
            var right = line[(dash + 3)..].Split(' ');
            if (left.Length < 5 || right.Length < 3) continue;
            var type = right[0];
            if (type is not ("cgroup" or "cgroup2")) continue;
            var controllers = type == "cgroup2"
                ? []
                : right[2].Split(',').Where(o => o is "cpu" or "cpuacct" or "memory").ToArray();
            mounts.Add(new Mount(type, Unescape(left[3]), Unescape(left[4]), controllers));
        }
        return mounts;
    }

    private static string Unescape(string field) => field.Replace("\\040", " ", StringComparison.Ordinal);

    private sealed record Mount(string Type, string Root, string MountPoint, string[] Controllers);
}
