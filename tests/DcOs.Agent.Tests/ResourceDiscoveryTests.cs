using System.Globalization;
using DcOs.Agent.Internal.Discovery;

namespace DcOs.Agent.Tests;

/// <summary>
/// What the agent offers: read from this machine, and from a directory of fake /proc, cgroup and os-release files (a
/// container with a cpu quota and a memory limit, a machine with GPUs) so every rule is checked whatever the machine.
/// </summary>
public sealed class ResourceDiscoveryTests : IDisposable
{
    private const long GiB = 1024L * 1024 * 1024;
    private readonly string _root = TestAgent.NewWorkDir();

    public void Dispose() => TestFiles.DeleteDirectory(_root);

    [Fact]
    public void This_machine_is_offered_from_its_affinity_memory_disk_and_os_release()
    {
        var discovered = ResourceDiscovery.Discover(new AgentOptions(), _root);
        var resources = discovered.Info.Resources;

        // .NET's processor count honours the affinity mask and a cgroup quota (rounded up), as discovery does.
        Assert.InRange(resources.Cpus, 0.001, Environment.ProcessorCount);
        Assert.True(resources.Cpus > Environment.ProcessorCount - 1, $"cpus {resources.Cpus} for {Environment.ProcessorCount} processors");
        var memTotalMb = MemTotalKb() / 1024.0;
        Assert.InRange(resources.MemMb, 1, memTotalMb - (memTotalMb >= 2048 ? 1024 : memTotalMb / 2));
        Assert.InRange(resources.DiskMb, 1, new DriveInfo(_root).TotalSize / (1024.0 * 1024));
        Assert.Equal("[31000-32000]", resources.Ports.ToString());
        var osId = File.ReadLines("/etc/os-release").Select(l => l.Split('=', 2)).FirstOrDefault(p => p[0] == "ID")?[1].Trim('"');
        if (osId is not null) Assert.Equal(osId, discovered.Info.Attributes.GetText("os"));
        Assert.Contains(discovered.Notes, n => n.StartsWith("cpus ", StringComparison.Ordinal));
        Assert.Contains(discovered.Notes, n => n.StartsWith("memory ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cgroup_v1_cpu_quota_and_memory_limit_cap_the_machine_and_the_reserve_is_kept_back()
    {
        var machine = FakeMachine(
            affinity: "0-3,6",
            memTotal: 16 * GiB,
            cgroup: "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n",
            files: new()
            {
                ["cpu,cpuacct/docker/abc/cpu.cfs_quota_us"] = "150000\n",
                ["cpu,cpuacct/docker/abc/cpu.cfs_period_us"] = "100000\n",
                ["memory/docker/abc/memory.limit_in_bytes"] = (3 * GiB).ToString(CultureInfo.InvariantCulture) + "\n",
            });

        var discovered = ResourceDiscovery.Discover(new AgentOptions(), _root, machine);

        Assert.Equal(1.5, discovered.Info.Resources.Cpus);
        Assert.Equal(3 * 1024 - 1024, discovered.Info.Resources.MemMb);
        Assert.Contains("cpus 1.5 from the cgroup cpu quota", discovered.Notes);
        Assert.Contains("memory 3072 MiB from the cgroup memory limit", discovered.Notes);
    }

    [Fact]
    public void Without_limits_the_affinity_mask_and_meminfo_count_and_small_machines_keep_half_back()
    {
        var machine = FakeMachine(
            affinity: "0-3,6",
            memTotal: 1536L * 1024 * 1024,
            cgroup: "5:memory:/\n4:cpu,cpuacct:/\n",
            files: new()
            {
                ["cpu,cpuacct/cpu.cfs_quota_us"] = "-1\n",
                ["cpu,cpuacct/cpu.cfs_period_us"] = "100000\n",
                // cgroup v1's "no limit".
                ["memory/memory.limit_in_bytes"] = "9223372036854771712\n",
            });

        var resources = ResourceDiscovery.Discover(new AgentOptions(), _root, machine).Info.Resources;

        Assert.Equal(5, resources.Cpus);
        Assert.Equal(768, resources.MemMb);
    }

    [Fact]
    public void A_cgroup_v2_quota_caps_cpus_and_max_means_no_memory_limit()
    {
        var machine = FakeMachine(
            affinity: "0-7",
            memTotal: 8 * GiB,
            cgroup: "0::/system.slice/dcos-agent.service\n",
            files: new()
            {
                ["system.slice/dcos-agent.service/cpu.max"] = "250000 100000\n",
                ["system.slice/dcos-agent.service/memory.max"] = "max\n",
            });

        var resources = ResourceDiscovery.Discover(new AgentOptions { MemReserveMb = 512 }, _root, machine).Info.Resources;

        Assert.Equal(2.5, resources.Cpus);
        Assert.Equal(8 * 1024 - 512, resources.MemMb);
    }

    [Fact]
    public void Gpus_come_from_nvidia_smi_with_their_model_and_memory_as_attributes()
    {
        var machine = FakeMachine(nvidiaSmi: "#!/bin/sh\nprintf '0, Tesla T4, 15360\\n1, Tesla T4, 15360\\n'\n");

        var discovered = ResourceDiscovery.Discover(new AgentOptions(), _root, machine);

        Assert.Equal(2, discovered.Info.Resources.Gpus);
        Assert.Equal([(0, "Tesla T4", 15360.0), (1, "Tesla T4", 15360.0)], discovered.Info.Gpus.Select(g => (g.Index, g.Model, g.MemoryMb)));
        Assert.Equal("Tesla T4", discovered.Info.Attributes.GetText("gpu_model"));
        Assert.True(discovered.Info.Attributes.TryGet("gpu_memory_mb", out var memory));
        Assert.Equal(15360, memory.Scalar);
        Assert.Contains("gpus 2 (0: Tesla T4, 1: Tesla T4) from nvidia-smi", discovered.Notes);
    }

    [Fact]
    public void Each_device_keeps_the_index_nvidia_smi_gives_and_a_line_that_does_not_parse_is_left_out_with_a_note()
    {
        var machine = FakeMachine(nvidiaSmi: "#!/bin/sh\nprintf '0, A100-SXM4-40GB, 40960\\n3, T4, 15360\\ngarbage\\n3, T4, 15360\\n'\n");

        var discovered = ResourceDiscovery.Discover(new AgentOptions(), _root, machine);

        Assert.Equal([0, 3], discovered.Info.Gpus.Select(g => g.Index));
        Assert.Equal(2, discovered.Info.Resources.Gpus);
        Assert.Equal(2, discovered.Notes.Count(n => n.StartsWith("gpus: left out nvidia-smi line", StringComparison.Ordinal)));
    }

    [Fact]
    public void Devices_given_in_options_are_numbered_in_order_and_bad_ones_are_refused_naming_the_device()
    {
        var discovered = ResourceDiscovery.Discover(new AgentOptions { GpuDevices = "A100:40960, T4" }, _root, FakeMachine(nvidiaSmi: "#!/bin/sh\nexit 1\n"));
        Assert.Equal([(0, "A100", 40960.0), (1, "T4", 0.0)], discovered.Info.Gpus.Select(g => (g.Index, g.Model, g.MemoryMb)));
        Assert.DoesNotContain(discovered.Notes, n => n.Contains("nvidia-smi", StringComparison.Ordinal));

        var counted = ResourceDiscovery.Discover(new AgentOptions { Gpus = 2 }, _root, FakeMachine());
        Assert.Equal([(0, ""), (1, "")], counted.Info.Gpus.Select(g => (g.Index, g.Model)));

        var e = Assert.Throws<ArgumentException>(() => new AgentOptions { Master = "127.0.0.1:5050", WorkDir = _root, GpuDevices = "A100:lots" }.Validate());
        Assert.Contains("GpuDevices[0]: memory \"lots\" is not a number", e.Message);
        e = Assert.Throws<ArgumentException>(() => new AgentOptions { Master = "127.0.0.1:5050", WorkDir = _root, GpuDevices = "A100,:10" }.Validate());
        Assert.Contains("GpuDevices[1]: the model must not be empty", e.Message);
        e = Assert.Throws<ArgumentException>(() => new AgentOptions { Master = "127.0.0.1:5050", WorkDir = _root, GpuDevices = "A100", Gpus = 2 }.Validate());
        Assert.Contains("GpuDevices lists 1 device(s)", e.Message);
    }

    [Fact]
    public void A_failing_nvidia_smi_means_no_gpus_and_says_why()
    {
        var machine = FakeMachine(nvidiaSmi: "#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver' >&2\nexit 9\n");

        var discovered = ResourceDiscovery.Discover(new AgentOptions(), _root, machine);

        Assert.Equal(0, discovered.Info.Resources.Gpus);
        Assert.False(discovered.Info.Attributes.TryGet("gpu_model", out _));
        Assert.Contains("gpus: nvidia-smi exited with status 9", discovered.Notes);
    }

    [Fact]
    public void Options_override_every_discovered_value_and_attribute()
    {
        var machine = FakeMachine(
            affinity: "0-7",
            memTotal: 8 * GiB,
            nvidiaSmi: "#!/bin/sh\necho '0, Tesla T4, 15360'\n");
        var options = new AgentOptions
        {
            Cpus = 3,
            MemMb = 1000,
            DiskMb = 2000,
            Gpus = 0,
            Ports = "4000-4009",
            Attributes = "os:custom;rack:r1",
            Hostname = "node-7.example",
        };

        var discovered = ResourceDiscovery.Discover(options, _root, machine);

        var resources = discovered.Info.Resources;
        Assert.Equal((3.0, 1000.0, 2000.0, 0.0), (resources.Cpus, resources.MemMb, resources.DiskMb, resources.Gpus));
        Assert.Equal("[4000-4009]", resources.Ports.ToString());
        Assert.Equal("custom", discovered.Info.Attributes.GetText("os"));
        Assert.Equal("r1", discovered.Info.Attributes.GetText("rack"));
        Assert.Equal("12", discovered.Info.Attributes.GetText("os_version"));
        Assert.Equal("node-7.example", discovered.Info.Hostname);
        // Gpus given: nvidia-smi is not asked, so no GPU attributes either.
        Assert.DoesNotContain(discovered.Notes, n => n.Contains("nvidia-smi", StringComparison.Ordinal));
    }

    /// <summary>A fake machine under the test's directory; os-release says Debian 12 with quoted values.</summary>
    private MachineFiles FakeMachine(string affinity = "0-1", long memTotal = 4 * GiB, string cgroup = "0::/\n",
        Dictionary<string, string>? files = null, string? nvidiaSmi = null)
    {
        var proc = Path.Combine(_root, "proc");
        var cgroupRoot = Path.Combine(_root, "cgroup");
        var bin = Path.Combine(_root, "bin");
        Write(Path.Combine(proc, "self/status"), $"Name:\tdcos-agent\nCpus_allowed:\tff\nCpus_allowed_list:\t{affinity}\n");
        Write(Path.Combine(proc, "self/cgroup"), cgroup);
        Write(Path.Combine(proc, "meminfo"), $"MemTotal:       {memTotal / 1024} kB\nMemFree:        1000 kB\n");
        Write(Path.Combine(_root, "os-release"), "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n");
        foreach (var (path, text) in files ?? []) Write(Path.Combine(cgroupRoot, path), text);
        Directory.CreateDirectory(bin);
        if (nvidiaSmi is not null)
        {
            var smi = Path.Combine(bin, "nvidia-smi");
            Write(smi, nvidiaSmi);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(smi, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return new MachineFiles(proc, cgroupRoot, Path.Combine(_root, "os-release"), bin);
    }

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static long MemTotalKb() =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))["MemTotal:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
}
