using DcOs.Core;
using DcOs.Scheduling.Master;

namespace DcOs.Simulation.Tests;

/// <summary>Simulated agents against a real master on a fake clock: task behaviour, resends, partitions, crashes.</summary>
public sealed class SimulatedAgentTests
{
    private static SimulatedAgent Holding(SimulationHarness h, TaskId task) => h.Cluster.Agents.Single(a => a.Tasks.Any(t => t.Id == task));

    /// <summary>Advances the clock one ping period at a time, letting the master handle each tick, so answering agents stay reachable.</summary>
    private static async Task RunForAsync(SimulationHarness h, TimeSpan duration)
    {
        for (var left = duration; left > TimeSpan.Zero; left -= h.Options.AgentPingTimeout)
        {
            await h.AdvanceAsync(left < h.Options.AgentPingTimeout ? left : h.Options.AgentPingTimeout);
        }
    }

    /// <summary>Starts the harness with <paramref name="agents"/> agents and a framework whose one task is RUNNING.</summary>
    private static async Task<RecordingScheduler> RunOneTaskAsync(SimulationHarness h, int agents = 1, FrameworkCapabilities capabilities = FrameworkCapabilities.None)
    {
        await h.StartAsync();
        await h.Cluster.AddAgentsAsync(agents);
        var fw = await h.AddFrameworkAsync("service", new RecordingScheduler { LaunchTarget = 1 }, capabilities);
        while ((await fw.NextUpdateAsync()).State != TaskState.Running) { }
        return fw;
    }

    [Fact]
    public async Task A_task_runs_for_its_duration_on_the_fake_clock_then_finishes_and_every_update_is_acknowledged()
    {
        await using var h = new SimulationHarness(simulator: o => new SimulatorOptions { Masters = o.Masters, Transports = o.Transports, Time = o.Time, TaskBehavior = _ => SimulatedTaskBehavior.Exit(TimeSpan.FromMinutes(5)) });
        await h.StartAsync();
        var agents = await h.Cluster.AddAgentsAsync(3);
        Assert.All(agents, a => Assert.Equal(SimulatedAgentState.Registered, a.State));
        Assert.Equal(3, (await h.Master.GetAgentsAsync()).Count(a => a.Status == AgentStatus.Active));

        var fw = await h.AddFrameworkAsync("batch", new RecordingScheduler { LaunchTarget = 1 });
        Assert.Equal(TaskState.Starting, (await fw.NextUpdateAsync()).State);
        Assert.Equal(TaskState.Running, (await fw.NextUpdateAsync()).State);
        await RunForAsync(h, TimeSpan.FromMinutes(4));
        Assert.False(fw.Updates.Reader.TryRead(out _));

        await RunForAsync(h, TimeSpan.FromMinutes(1));
        var finished = await fw.NextUpdateAsync();
        Assert.Equal((TaskState.Finished, 0, TaskStatusReason.CommandExited), (finished.State, finished.ExitCode, finished.Reason));
        await h.Cluster.WhenAllAcknowledgedAsync().WaitAsync(SimulationHarness.Timeout);
        var counters = h.Cluster.Counters;
        Assert.Equal((3, 1, 3, 3, 0L), (counters.Registrations, counters.TasksLaunched, counters.UpdatesEmitted, counters.UpdatesAcknowledged, counters.TasksActive));
        Assert.Equal(0, fw.Duplicates);
    }

    [Fact]
    public async Task Behaviours_decide_how_tasks_end_a_non_zero_exit_fails_a_start_failure_fails_and_a_kill_kills()
    {
        await using var h = new SimulationHarness(simulator: o => new SimulatorOptions
        {
            Masters = o.Masters, Transports = o.Transports, Time = o.Time,
            TaskBehavior = spec => spec.Id.Value switch
            {
                "task-0000001" => SimulatedTaskBehavior.Exit(TimeSpan.FromSeconds(30), exitCode: 3),
                "task-0000002" => SimulatedTaskBehavior.FailToStart("no such file: /opt/app/bin/server"),
                _ => SimulatedTaskBehavior.UntilKilled with { StartupDelay = TimeSpan.FromSeconds(5) },
            },
        });
        await h.StartAsync();
        await h.Cluster.AddAgentsAsync(1);
        var fw = await h.AddFrameworkAsync("mixed", new RecordingScheduler { LaunchTarget = 3, TasksPerOffer = 3 });
        async Task<TaskStatusUpdate> NextOfAsync(string task, TaskState state)
        {
            while (true)
            {
                var update = await fw.NextUpdateAsync();
                if (update.TaskId.Value == task && update.State == state) return update;
            }
        }

        var cannotStart = await NextOfAsync("task-0000002", TaskState.Failed);
        Assert.Equal(TaskStatusReason.CommandFailedToStart, cannotStart.Reason);
        Assert.Contains("/opt/app/bin/server", cannotStart.Message);
        await RunForAsync(h, TimeSpan.FromSeconds(5));
        await NextOfAsync("task-0000003", TaskState.Running);
        await RunForAsync(h, TimeSpan.FromSeconds(30));
        var failed = await NextOfAsync("task-0000001", TaskState.Failed);
        Assert.Equal((3, TaskStatusReason.CommandExited), (failed.ExitCode, failed.Reason));

        await fw.Driver.KillTaskAsync(new TaskId("task-0000003"));
        var killed = await NextOfAsync("task-0000003", TaskState.Killed);
        Assert.Equal(TaskStatusReason.TaskKilled, killed.Reason);
        await h.Cluster.WhenAllAcknowledgedAsync().WaitAsync(SimulationHarness.Timeout);
        Assert.Empty(h.Cluster.Agents.Single().Tasks);
        Assert.Equal(0, h.Cluster.Counters.TasksActive);
    }

    [Fact]
    public async Task An_update_lost_to_a_short_partition_is_resent_after_the_retry_delay_and_delivered_once()
    {
        await using var h = new SimulationHarness();
        var fw = await RunOneTaskAsync(h);
        await h.Cluster.WhenAllAcknowledgedAsync().WaitAsync(SimulationHarness.Timeout);
        var agent = h.Cluster.Agents.Single();
        var task = agent.Tasks.Single();

        agent.Partition();
        Assert.Equal(SimulatedAgentState.Partitioned, agent.State);
        Assert.True(agent.ExitTask(task.Framework, task.Id, 0));
        Assert.Equal(1, h.Cluster.Counters.MessagesDropped);
        agent.Heal();
        // The first resend comes within the initial retry delay (10 s, jittered down to half of it).
        await RunForAsync(h, TimeSpan.FromSeconds(10));
        var finished = await fw.NextUpdateAsync();
        Assert.Equal(TaskState.Finished, finished.State);
        await h.Cluster.WhenAllAcknowledgedAsync().WaitAsync(SimulationHarness.Timeout);
        Assert.Equal(1, h.Cluster.Counters.UpdatesResent);
        Assert.Equal(0, fw.Duplicates);
        Assert.Equal(AgentStatus.Active, (await h.Master.GetAgentsAsync()).Single().Status);
    }

    [Fact]
    public async Task A_long_partition_makes_the_agent_unreachable_and_healed_it_re_registers_with_its_task_running()
    {
        await using var h = new SimulationHarness();
        var fw = await RunOneTaskAsync(h, agents: 2, FrameworkCapabilities.PartitionAware);
        var task = new TaskId("task-0000001");
        var agent = Holding(h, task);

        agent.Partition();
        // Five missed pings at 15 s (Mesos' defaults), then the next tick declares it.
        await RunForAsync(h, h.Options.AgentPingTimeout * (h.Options.MaxAgentPingTimeouts + 1));
        var unreachable = await fw.NextUpdateAsync();
        Assert.Equal((task, TaskState.Unreachable), (unreachable.TaskId, unreachable.State));
        var view = await h.Master.GetAgentsAsync();
        Assert.Equal(AgentStatus.Unreachable, view.Single(a => a.Info.Id == agent.Id).Status);
        Assert.Equal(AgentStatus.Active, view.Single(a => a.Info.Id != agent.Id).Status);
        // The master closed the connection; cut off, the agent does not know until the partition heals.
        Assert.Equal(SimulatedAgentState.Partitioned, agent.State);

        agent.Heal();
        await RunForAsync(h, TimeSpan.FromSeconds(1));
        await agent.WhenRegisteredAsync().WaitAsync(SimulationHarness.Timeout);
        var back = await fw.NextUpdateAsync();
        Assert.Equal((task, TaskState.Running, TaskStatusReason.Reconciliation), (back.TaskId, back.State, back.Reason));
        Assert.Equal(1, h.Cluster.Counters.Reregistrations);
        Assert.True(h.Cluster.Counters.MessagesDropped >= h.Options.MaxAgentPingTimeouts);
        Assert.Equal(AgentStatus.Active, (await h.Master.GetAgentsAsync()).Single(a => a.Info.Id == agent.Id).Status);
    }

    [Fact]
    public async Task A_crashed_agent_restarts_re_registers_and_delivers_what_its_task_did_while_it_was_down()
    {
        await using var h = new SimulationHarness();
        var fw = await RunOneTaskAsync(h);
        var agent = h.Cluster.Agents.Single();
        var task = agent.Tasks.Single();

        await agent.CrashAsync();
        Assert.Equal(SimulatedAgentState.Crashed, agent.State);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => agent.Partition());
        // Its process goes on and exits while the agent is down: the update waits for the restart.
        Assert.True(agent.ExitTask(task.Framework, task.Id, 0));
        await h.IdleAsync();
        Assert.False(fw.Updates.Reader.TryRead(out _));
        Assert.Equal(AgentStatus.Active, (await h.Master.GetAgentsAsync()).Single().Status);

        await agent.RestartAsync().WaitAsync(SimulationHarness.Timeout);
        Assert.Equal(TaskState.Finished, (await fw.NextUpdateAsync()).State);
        Assert.Equal((1, 1), (h.Cluster.Counters.Registrations, h.Cluster.Counters.Reregistrations));
        await Assert.ThrowsAsync<InvalidOperationException>(agent.RestartAsync);
    }

    [Fact]
    public async Task A_removed_agent_never_comes_back_and_its_task_is_lost_once_its_pings_ran_out()
    {
        await using var h = new SimulationHarness();
        var fw = await RunOneTaskAsync(h);
        var agent = h.Cluster.Agents.Single();

        await agent.RemoveAsync();
        await RunForAsync(h, h.Options.AgentPingTimeout * (h.Options.MaxAgentPingTimeouts + 1));
        var lost = await fw.NextUpdateAsync();
        Assert.Equal((TaskState.Lost, TaskStatusReason.AgentUnreachable), (lost.State, lost.Reason));
        Assert.Equal(SimulatedAgentState.Removed, agent.State);
        Assert.Equal((0L, 0L), (h.Cluster.Counters.TasksActive, h.Cluster.Counters.UpdatesPending));
        Assert.Equal(0, h.Cluster.Counters.Reregistrations);
    }

    [Fact]
    public async Task A_registration_the_master_refuses_fails_AddAgentAsync_with_the_masters_reason()
    {
        await using var h = new SimulationHarness();
        await h.StartAsync();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            h.Cluster.AddAgentAsync(new AgentInfo { Hostname = "", Resources = Resources.Parse("cpus:4;mem:1024") }).WaitAsync(SimulationHarness.Timeout));
        Assert.Contains("hostname", refused.Message);
        Assert.Equal(SimulatedAgentState.Removed, h.Cluster.Agents.Single().State);
        // Others are not held up by it.
        Assert.Equal(SimulatedAgentState.Registered, (await h.Cluster.AddAgentAsync(ClusterSimulator.RealisticAgent(1))).State);
    }

    [Fact]
    public void Options_and_behaviours_name_the_field_at_fault()
    {
        var transport = DcOs.Transport.DcOsTransports.CreateInMemory();
        SimulatorOptions Valid() => new() { Masters = [new DcOs.Transport.InMemoryEndPoint("m")], Transports = [transport] };
        Assert.Equal("Masters", Assert.Throws<ValidationException>(() => new ClusterSimulator(new SimulatorOptions { Masters = [], Transports = [transport] })).Field);
        Assert.Equal("Transports", Assert.Throws<ValidationException>(() => new ClusterSimulator(new SimulatorOptions { Masters = Valid().Masters, Transports = [] })).Field);
        Assert.Equal("StatusUpdateRetryInitial", Assert.Throws<ValidationException>(() => new ClusterSimulator(new SimulatorOptions { Masters = Valid().Masters, Transports = [transport], StatusUpdateRetryInitial = TimeSpan.FromSeconds(-1) })).Field);
        Assert.Equal("StatusUpdateRetryMax", Assert.Throws<ValidationException>(() => new ClusterSimulator(new SimulatorOptions { Masters = Valid().Masters, Transports = [transport], StatusUpdateRetryMax = TimeSpan.FromSeconds(1) })).Field);
        Assert.Equal("DuplicateUpdates", Assert.Throws<ValidationException>(() => new ClusterSimulator(new SimulatorOptions { Masters = Valid().Masters, Transports = [transport], DuplicateUpdates = -1 })).Field);
        Assert.Equal("RegistrationConcurrency", Assert.Throws<ValidationException>(() => new ClusterSimulator(new SimulatorOptions { Masters = Valid().Masters, Transports = [transport], RegistrationConcurrency = 0 })).Field);
        Assert.Equal("RunFor", Assert.Throws<ValidationException>(() => SimulatedTaskBehavior.Exit(TimeSpan.FromSeconds(-3)).Validate()).Field);
        Assert.Equal("StartupDelay", Assert.Throws<ValidationException>(() => (SimulatedTaskBehavior.UntilKilled with { StartupDelay = TimeSpan.FromTicks(-1) }).Validate()).Field);
    }
}
