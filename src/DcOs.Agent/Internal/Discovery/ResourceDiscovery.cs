using System.Globalization;
using System.Net;
using DcOs.Core;

namespace DcOs.Agent.Internal.Discovery;

/// <summary>The machine as the agent offers it: resources (discovered, each overridable) and attributes.</summary>
/// <param name="Info">Hostname, resources, attributes, fault domain and cost.</param>
/// <param name="Notes">How each value was found, for the start-up log.</param>
internal sealed record DiscoveredAgent(AgentInfo Info, IReadOnlyList<string> Notes);

/// <summary>
/// Where discovery reads the machine: the real files by default; tests point it at a directory of fake ones (a
/// machine with a cpu quota, a memory limit, a GPU) without touching the process's own environment.
/// </summary>
/// <param name="Proc">The proc file system (self/status, self/cgroup, meminfo).</param>
/// <param name="Cgroup">Where the cgroup hierarchies are mounted.</param>
/// <param name="OsRelease">The os-release file.</param>
/// <param name="SearchPath">Directories searched for <c>nvidia-smi</c>, as in PATH; null: the process's PATH.</param>
internal sealed record MachineFiles(string Proc = "/proc", string Cgroup = "/sys/fs/cgroup", string OsRelease = "/etc/os-release", string? SearchPath = null)
{
    public static MachineFiles Real { get; } = new();
}

/// <summary>
/// Finds what the machine has: cpus (the smaller of the cgroup cpu quota and the cpu affinity mask), memory
/// (/proc/meminfo or the cgroup memory limit, less a reserve), disk (free space of the work directory), GPUs
/// (<c>nvidia-smi</c> when present), ports from options, and the OS from /etc/os-release.
/// </summary>
internal static class ResourceDiscovery
{
    public static DiscoveredAgent Discover(AgentOptions options, string workDir, MachineFiles? machine = null)
    {
        machine ??= MachineFiles.Real;
        var notes = new List<string>();
        var cpus = options.Cpus ?? DiscoverCpus(machine, notes);
        var totalMem = options.MemMb is null ? DiscoverMemoryMb(machine, notes) : 0;
        var mem = options.MemMb ?? Math.Max(0, totalMem - (options.MemReserveMb ?? (totalMem >= 2048 ? 1024 : totalMem / 2)));
        var disk = options.DiskMb ?? DiscoverDiskMb(workDir, notes);
        var gpu = options.Gpus is null && options.GpuDevices is null ? GpuDiscovery.Query(machine.SearchPath, notes) : null;
        IReadOnlyList<GpuDevice> devices = options.GpuDevices is { } listed ? AgentOptions.ParseGpuDevices(listed)
            : options.Gpus is { } count ? [.. Enumerable.Range(0, (int)count).Select(i => new GpuDevice { Index = i })]
            : gpu?.Devices ?? [];
        var gpus = devices.Count;

        var resources = Resources.FromScalars(Math.Round(cpus, 3), Math.Floor(mem), Math.Floor(disk), gpus);
        var ports = AgentOptions.ParsePorts(options.Ports);
        if (!ports.IsEmpty) resources = resources.Add(Resource.OfRanges(ResourceNames.Ports, ports));

        var attributes = AgentOptions.ParseAttributes(options.Attributes);
        var os = OsRelease.Read(machine.OsRelease);
        if (os.Id is { Length: > 0 } id && !attributes.TryGet("os", out _)) attributes = attributes.With("os", AttributeValue.OfText(id));
        if (os.VersionId is { Length: > 0 } version && !attributes.TryGet("os_version", out _)) attributes = attributes.With("os_version", AttributeValue.Parse(version));
        if (gpu is not null && gpu.Count > 0)
        {
            if (gpu.Model is { Length: > 0 } model && !attributes.TryGet("gpu_model", out _)) attributes = attributes.With("gpu_model", AttributeValue.OfText(model));
            if (gpu.MemoryMb > 0 && !attributes.TryGet("gpu_memory_mb", out _)) attributes = attributes.With("gpu_memory_mb", AttributeValue.OfScalar(gpu.MemoryMb));
        }

        var info = new AgentInfo
        {
            Hostname = options.Hostname ?? Dns.GetHostName(),
            Resources = resources,
            Gpus = devices,
            Attributes = attributes,
            Region = options.Region,
            Zone = options.Zone,
            Cost = options.Cost.ToCostModel(),
        }.Validate();
        return new DiscoveredAgent(info, notes);
    }

    /// <summary>cpus: the cpu affinity count, capped by a cgroup cpu quota (which may be fractional).</summary>
    private static double DiscoverCpus(MachineFiles machine, List<string> notes)
    {
        double cpus = AffinityCount(machine) ?? Environment.ProcessorCount;
        var quota = CgroupCpuQuota(machine);
        if (quota is { } q && q < cpus)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"cpus {q:0.###} from the cgroup cpu quota"));
            return q;
        }
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"cpus {cpus} from the cpu affinity mask"));
        return cpus;
    }

    private static double DiscoverMemoryMb(MachineFiles machine, List<string> notes)
    {
        var total = MemInfoTotalBytes(machine);
        var limit = CgroupMemoryLimitBytes(machine);
        if (limit is { } l && (total is null || l < total))
        {
            notes.Add($"memory {l / (1024 * 1024)} MiB from the cgroup memory limit");
            return l / (1024.0 * 1024);
        }
        if (total is { } t)
        {
            notes.Add($"memory {t / (1024 * 1024)} MiB from /proc/meminfo");
            return t / (1024.0 * 1024);
        }
        return 0;
    }

    private static double DiscoverDiskMb(string workDir, List<string> notes)
    {
        try
        {
            var free = new DriveInfo(workDir).AvailableFreeSpace;
            notes.Add($"disk {free / (1024 * 1024)} MiB free in {workDir}");
            return free / (1024.0 * 1024);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            notes.Add($"disk: could not read the free space of {workDir} ({e.Message})");
            return 0;
        }
    }

    private static int? AffinityCount(MachineFiles machine)
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(machine.Proc, "self/status")))
            {
                if (!line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) continue;
                var count = 0;
                foreach (var part in line["Cpus_allowed_list:".Length..].Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    var dash = part.IndexOf('-', StringComparison.Ordinal);
                    count += dash < 0 ? 1 : int.Parse(part[(dash + 1)..], CultureInfo.InvariantCulture) - int.Parse(part[..dash], CultureInfo.InvariantCulture) + 1;
                }
                return count > 0 ? count : null;
            }
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
        return null;
    }

    private static double? CgroupCpuQuota(MachineFiles machine)
    {
        foreach (var (controller, path) in OwnCgroups(machine))
        {
            try
            {
                if (controller.Length == 0 && File.Exists(Path.Combine(machine.Cgroup, path.TrimStart('/'), "cpu.max")))
                {
                    var parts = File.ReadAllText(Path.Combine(machine.Cgroup, path.TrimStart('/'), "cpu.max")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length == 2 && parts[0] != "max") return double.Parse(parts[0], CultureInfo.InvariantCulture) / double.Parse(parts[1], CultureInfo.InvariantCulture);
                }
                if (controller.Split(',').Contains("cpu"))
                {
                    var dir = Path.Combine(machine.Cgroup, controller, path.TrimStart('/'));
                    if (!Directory.Exists(dir)) dir = Path.Combine(machine.Cgroup, "cpu", path.TrimStart('/'));
                    var quotaFile = Path.Combine(dir, "cpu.cfs_quota_us");
                    if (!File.Exists(quotaFile)) continue;
                    var quota = long.Parse(File.ReadAllText(quotaFile).Trim(), CultureInfo.InvariantCulture);
                    var period = long.Parse(File.ReadAllText(Path.Combine(dir, "cpu.cfs_period_us")).Trim(), CultureInfo.InvariantCulture);
                    if (quota > 0 && period > 0) return quota / (double)period;
                }
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // Not readable here: no quota.
            }
        }
        return null;
    }

    private static long? CgroupMemoryLimitBytes(MachineFiles machine)
    {
        foreach (var (controller, path) in OwnCgroups(machine))
        {
            try
            {
                string? file = null;
                if (controller.Length == 0) file = Path.Combine(machine.Cgroup, path.TrimStart('/'), "memory.max");
                else if (controller.Split(',').Contains("memory")) file = Path.Combine(machine.Cgroup, "memory", path.TrimStart('/'), "memory.limit_in_bytes");
                if (file is null || !File.Exists(file)) continue;
                var text = File.ReadAllText(file).Trim();
                // v1 reports "no limit" as a huge page-aligned number.
                if (text != "max" && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes < long.MaxValue / 2) return bytes;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not readable here: no limit.
            }
        }
        return null;
    }

    private static IEnumerable<(string Controller, string Path)> OwnCgroups(MachineFiles machine)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(machine.Proc, "self/cgroup"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var line in lines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3) yield return (parts[1], parts[2]);
        }
    }

    private static long? MemInfoTotalBytes(MachineFiles machine)
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(machine.Proc, "meminfo")))
            {
                if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
                var kb = long.Parse(line["MemTotal:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
        return null;
    }
}
