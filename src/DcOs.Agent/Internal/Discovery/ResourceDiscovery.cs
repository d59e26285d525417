using System.Globalization;
using System.Net;
using DcOs.Core;

namespace DcOs.Agent.Internal.Discovery;

/// <summary>The machine as the agent offers it: resources (discovered, each overridable) and attributes.</summary>
/// <param name="Info">Hostname, resources, attributes, fault domain and cost.</param>
/// <param name="Notes">How each value was found, for the start-up log.</param>
internal sealed record DiscoveredAgent(AgentInfo Info, IReadOnlyList<string> Notes);

/// <summary>
/// Finds what the machine has: cpus (the smaller of the cgroup cpu quota and the cpu affinity mask), memory
/// (/proc/meminfo or the cgroup memory limit, less a reserve), disk (free space of the work directory), GPUs
/// (<c>nvidia-smi</c> when present), ports from options, and the OS from /etc/os-release.
/// </summary>
internal static class ResourceDiscovery
{
    public static DiscoveredAgent Discover(AgentOptions options, string workDir)
    {
        var notes = new List<string>();
        var cpus = options.Cpus ?? DiscoverCpus(notes);
        var totalMem = options.MemMb is null ? DiscoverMemoryMb(notes) : 0;
        var mem = options.MemMb ?? Math.Max(0, totalMem - (options.MemReserveMb ?? (totalMem >= 2048 ? 1024 : totalMem / 2)));
        var disk = options.DiskMb ?? DiscoverDiskMb(workDir, notes);
        var gpu = options.Gpus is null ? GpuDiscovery.Query(notes) : null;
        var gpus = options.Gpus ?? gpu?.Count ?? 0;

        var resources = Resources.FromScalars(Math.Round(cpus, 3), Math.Floor(mem), Math.Floor(disk), gpus);
        var ports = AgentOptions.ParsePorts(options.Ports);
        if (!ports.IsEmpty) resources = resources.Add(Resource.OfRanges(ResourceNames.Ports, ports));

        var attributes = AgentOptions.ParseAttributes(options.Attributes);
        var os = OsRelease.Read("/etc/os-release");
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
            Attributes = attributes,
            Region = options.Region,
            Zone = options.Zone,
            Cost = options.Cost.ToCostModel(),
        }.Validate();
        return new DiscoveredAgent(info, notes);
    }

    /// <summary>cpus: the cpu affinity count, capped by a cgroup cpu quota (which may be fractional).</summary>
    public static double DiscoverCpus(List<string> notes)
    {
        double cpus = AffinityCount() ?? Environment.ProcessorCount;
        var quota = CgroupCpuQuota();
        if (quota is { } q && q < cpus)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"cpus {q:0.###} from the cgroup cpu quota"));
            return q;
        }
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"cpus {cpus} from the cpu affinity mask"));
        return cpus;
    }

    public static double DiscoverMemoryMb(List<string> notes)
    {
        var total = MemInfoTotalBytes();
        var limit = CgroupMemoryLimitBytes();
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

    public static double DiscoverDiskMb(string workDir, List<string> notes)
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

    private static int? AffinityCount()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
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

    private static double? CgroupCpuQuota()
    {
        foreach (var (controller, path) in OwnCgroups())
        {
            try
            {
                if (controller.Length == 0 && File.Exists(Path.Combine("/sys/fs/cgroup", path.TrimStart('/'), "cpu.max")))
                {
                    var parts = File.ReadAllText(Path.Combine("/sys/fs/cgroup", path.TrimStart('/'), "cpu.max")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length == 2 && parts[0] != "max") return double.Parse(parts[0], CultureInfo.InvariantCulture) / double.Parse(parts[1], CultureInfo.InvariantCulture);
                }
                if (controller.Split(',').Contains("cpu"))
                {
                    var dir = Path.Combine("/sys/fs/cgroup", controller, path.TrimStart('/'));
                    if (!Directory.Exists(dir)) dir = Path.Combine("/sys/fs/cgroup/cpu", path.TrimStart('/'));
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

    private static long? CgroupMemoryLimitBytes()
    {
        foreach (var (controller, path) in OwnCgroups())
        {
            try
            {
                string? file = null;
                if (controller.Length == 0) file = Path.Combine("/sys/fs/cgroup", path.TrimStart('/'), "memory.max");
                else if (controller.Split(',').Contains("memory")) file = Path.Combine("/sys/fs/cgroup/memory", path.TrimStart('/'), "memory.limit_in_bytes");
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

    private static IEnumerable<(string Controller, string Path)> OwnCgroups()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/self/cgroup");
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

    private static long? MemInfoTotalBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
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
