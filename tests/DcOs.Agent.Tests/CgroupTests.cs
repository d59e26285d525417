using DcOs.Agent.Internal.Isolation;
using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Tests;

/// <summary>Run where a cgroup hierarchy is writable (root with cgroup v1 cpu+memory or v2); skipped elsewhere, saying why.</summary>
public sealed class CgroupTests : IAsyncLifetime
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        var probe = Cgroups.TryCreate("dcos-tests", "probe-" + Guid.NewGuid().ToString("N")[..8], cfsQuota: true, out var reason);
        probe?.RemoveParents();
        return probe is null ? "cgroups are not writable here: " + reason : null;
    });

    private MasterDouble _master = null!;
    private TestAgent? _agent;

    public async ValueTask InitializeAsync() => _master = await MasterDouble.StartTcpAsync();

    public async ValueTask DisposeAsync()
    {
        if (_agent is not null) await _agent.DisposeAsync();
        await _master.DisposeAsync();
    }

    private async Task<TestAgent> StartAsync()
    {
        if (Unavailable.Value is { } reason) Assert.Skip(reason);
        return _agent = await TestAgent.StartAsync(_master, o => o.Isolation = AgentIsolation.Cgroups);
    }

    [Fact]
    public async Task A_task_gets_its_own_cgroup_with_its_limits_and_it_is_removed_afterwards()
    {
        var agent = await StartAsync();
        Assert.Null(agent.Agent.IsolationWarning);
        Assert.StartsWith("cgroups_v", (await _master.RegistrationAsync<RegisterAgent>()).Agent!.Attributes.GetText("isolation"));
        await _master.RunAsync("fw", Tasks.Shell("limited", "sleep 60", cpus: 0.5, memMb: 128));
        await _master.WaitForStateAsync("limited", TaskState.Running);
        var task = agent.Runtime.FindTask(new FrameworkId("fw"), new TaskId("limited"))!;
        var cgroups = agent.Runtime.Cgroups!;
        var dirs = task.Cgroup!.Directories;
        await Processes.WaitUntilAsync(() => dirs.All(d => File.ReadAllText(Path.Combine(d, "cgroup.procs")).Contains(task.Pid.ToString())), "the wrapper to join its cgroup");

        if (cgroups.Version == 1)
        {
            var memory = dirs.Single(d => d.StartsWith(cgroups.MemoryParent));
            var cpu = dirs.Single(d => d.StartsWith(cgroups.CpuParent!));
            Assert.Equal((128L * 1024 * 1024).ToString(), File.ReadAllText(Path.Combine(memory, "memory.limit_in_bytes")).Trim());
            Assert.Equal("512", File.ReadAllText(Path.Combine(cpu, "cpu.shares")).Trim());
            Assert.Equal("50000", File.ReadAllText(Path.Combine(cpu, "cpu.cfs_quota_us")).Trim());
        }
        else
        {
            Assert.Equal((128L * 1024 * 1024).ToString(), File.ReadAllText(Path.Combine(dirs[0], "memory.max")).Trim());
            Assert.Equal("50000 100000", File.ReadAllText(Path.Combine(dirs[0], "cpu.max")).Trim());
        }

        // A process that leaves the task's process group is still in the cgroup, and is killed with the task.
        await _master.KillAsync("fw", "limited");
        Assert.Equal(TaskState.Killed, (await _master.TerminalAsync("limited"))[^1].State);
        Assert.All(dirs, d => Assert.False(Directory.Exists(d), d + " was left behind"));
    }

    [Fact]
    public async Task An_out_of_memory_kill_fails_the_task_with_the_memory_reason()
    {
        await StartAsync();
        await _master.RunAsync("fw", Tasks.Shell("hungry", "dd if=/dev/zero of=/dev/null bs=64M count=1", memMb: 16));

        var end = (await _master.TerminalAsync("hungry"))[^1];

        Assert.Equal(TaskState.Failed, end.State);
        Assert.Equal(TaskStatusReason.ContainerLimitationMemory, end.Reason);
        Assert.Contains("memory limit of 16 MiB exceeded", end.Message);
    }

    [Fact]
    public async Task Escaped_processes_are_killed_when_the_task_ends()
    {
        var agent = await StartAsync();
        // setsid puts the background sleep in a new session: out of the task's process group, not out of its cgroup.
        await _master.RunAsync("fw", Tasks.Shell("escaper", "setsid sleep 60 & echo $! > escaped; sleep 0.1; exit 0"));
        Assert.Equal(TaskState.Finished, (await _master.TerminalAsync("escaper"))[^1].State);
        var escaped = int.Parse(File.ReadAllText(Path.Combine(agent.Sandbox("fw", "escaper"), "escaped")).Trim());
        await Processes.WaitUntilAsync(() => !Processes.Exists(escaped), "the escaped process to be killed");
    }
}

/// <summary>Without isolation the agent says so, in its state and to the master.</summary>
public sealed class NoIsolationTests
{
    [Fact]
    public async Task Plain_processes_are_reported_as_not_isolated()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        await using var agent = await TestAgent.StartAsync(master, o => o.Isolation = AgentIsolation.None);
        Assert.Contains("isolation is turned off", agent.Agent.IsolationWarning);
        Assert.Null(agent.Runtime.Cgroups);
        Assert.Equal("none", (await master.RegistrationAsync<RegisterAgent>()).Agent!.Attributes.GetText("isolation"));

        await master.DisconnectAgentAsync();
        var reregister = await master.RegistrationAsync<ReregisterAgent>(1);
        Assert.Equal(agent.Agent.IsolationWarning, reregister.IsolationWarning);

        await master.RunAsync("fw", Tasks.Shell("plain", "exit 0"));
        Assert.Equal(TaskState.Finished, (await master.TerminalAsync("plain"))[^1].State);
    }
}

/// <summary>
/// cgroup v2 delegation, on a directory standing in for the hierarchy (this runs everywhere; a real v2 hierarchy
/// creates the control files itself, here each level has one already).
/// </summary>
public sealed class CgroupV2DelegationTests : IDisposable
{
    private readonly string _root = TestAgent.NewWorkDir();

    public void Dispose() => TestFiles.DeleteDirectory(_root);

    [Fact]
    public void Cpu_and_memory_are_enabled_from_the_root_down_to_the_agents_parent_itself()
    {
        // "cpuset" enabled alone must not pass for "cpu".
        var levels = new[] { _root, Path.Combine(_root, "system.slice"), Path.Combine(_root, "system.slice", "dcos"), Path.Combine(_root, "system.slice", "dcos", "agent-1") };
        foreach (var level in levels)
        {
            Directory.CreateDirectory(level);
            File.WriteAllText(Path.Combine(level, "cgroup.subtree_control"), "cpuset io\n");
        }

        Cgroups.EnableControllersV2(_root, levels[^1]);

        // The task cgroups are children of agent-1: its own subtree_control must hand them cpu and memory too.
        foreach (var level in levels) Assert.Equal("+cpu +memory", File.ReadAllText(Path.Combine(level, "cgroup.subtree_control")));
    }

    [Fact]
    public void Levels_that_already_delegate_cpu_and_memory_are_left_as_they_are()
    {
        var parent = Path.Combine(_root, "agent-1");
        Directory.CreateDirectory(parent);
        File.WriteAllText(Path.Combine(_root, "cgroup.subtree_control"), "cpuset cpu io memory pids\n");
        File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "cpu memory\n");

        Cgroups.EnableControllersV2(_root, parent);

        Assert.Equal("cpuset cpu io memory pids\n", File.ReadAllText(Path.Combine(_root, "cgroup.subtree_control")));
        Assert.Equal("cpu memory\n", File.ReadAllText(Path.Combine(parent, "cgroup.subtree_control")));
    }
}
