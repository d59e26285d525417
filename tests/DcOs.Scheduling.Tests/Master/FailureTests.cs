using DcOs.Core;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Sqlite;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>Agent loss and return, framework failover, drain, and a master restarted on a SQLite store.</summary>
public sealed class FailureTests
{
    private static async Task<(RunTask Run, TestScheduler Fw)> LaunchRunningAsync(MasterHarness h, TestScheduler fw, FakeAgent agent, string id)
    {
        var offer = await fw.NextOfferAsync();
        await fw.Driver.AcceptAsync([offer.Id], [TaskLifecycleTests.Task(id)], new Filters(0));
        var run = await agent.NextLaunchAsync();
        await agent.SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Running);
        Assert.Equal(TaskState.Running, (await fw.NextUpdateAsync(run.Task.Id)).State);
        return (run, fw);
    }

    [Theory]
    [InlineData(false, TaskState.Lost)]
    [InlineData(true, TaskState.Unreachable)]
    public async Task An_agent_that_misses_its_pings_is_unreachable_and_its_tasks_lost_or_unreachable(bool partitionAware, TaskState expected)
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", capabilities: partitionAware ? FrameworkCapabilities.PartitionAware : FrameworkCapabilities.None);
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        var (run, _) = await LaunchRunningAsync(h, fw, agent, "t1");

        // The first ping goes out at the first tick; each later tick that finds it unanswered counts one timeout.
        agent.AnswerPings = false;
        for (var i = 0; i < h.Options.MaxAgentPingTimeouts; i++) await h.AdvanceAsync(h.Options.AgentPingTimeout);
        await h.SettleAsync(agent);
        Assert.Equal(AgentStatus.Active, (await h.Master.GetAgentsAsync()).Single().Status);
        await h.AdvanceAsync(h.Options.AgentPingTimeout);
        var update = await fw.NextUpdateAsync(run.Task!.Id);
        Assert.Equal(expected, update.State);
        Assert.Equal(TaskStatusReason.AgentUnreachable, update.Reason);
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        Assert.Equal(agent.Id, await fw.LostAgents.Reader.ReadAsync(cts.Token));
        Assert.Equal(AgentStatus.Unreachable, (await h.Master.GetAgentsAsync()).Single().Status);

        // It returns, still running the task: reconciled, not duplicated.
        agent.AnswerPings = true;
        await agent.ReregisterAsync(h.Transport, h.EndPoint, [new RunningTask { FrameworkId = run.FrameworkId, TaskId = run.Task.Id, State = TaskState.Running, Resources = run.Task.Resources, Spec = run.Task }]);
        await h.SettleAsync(agent);
        var agents = await h.Master.GetAgentsAsync();
        Assert.Single(agents);
        Assert.Equal(AgentStatus.Active, agents[0].Status);
        if (partitionAware)
        {
            // The task comes back as running.
            Assert.Equal(TaskState.Running, (await fw.NextUpdateAsync(run.Task.Id)).State);
            Assert.Equal(1, agents[0].ActiveTasks);
        }
        else
        {
            // It was reported lost: the master has the agent kill it.
            Assert.Equal(run.Task.Id, (await agent.NextKillAsync()).TaskId);
            Assert.Equal(0, agents[0].ActiveTasks);
        }
    }

    [Fact]
    public async Task A_disconnected_agent_is_deactivated_at_once_and_a_launch_to_it_fails_loudly()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        var offer = await fw.NextOfferAsync();
        using var watch = h.Master.Watch();

        await agent.Connection.CloseAsync("the agent's link went down");
        await watch.NextAsync(e => e.Kind == MasterEventKind.AgentDisconnected);

        // Its offer is rescinded at once, and nothing of it is offered while it is away.
        using (var cts = new CancellationTokenSource(MasterHarness.Timeout)) Assert.Equal(offer.Id, await fw.Rescinded.Reader.ReadAsync(cts.Token));
        await h.AdvanceAsync(h.Options.AllocationInterval);
        await fw.AssertNoOfferAsync();
        Assert.Equal(AgentStatus.Active, (await h.Master.GetAgentsAsync()).Single().Status);

        // A launch on the old offer is answered at once, not left in STAGING.
        await fw.Driver.AcceptAsync([offer.Id], [TaskLifecycleTests.Task("late")], new Filters(0));
        var lost = await fw.NextUpdateAsync(new TaskId("late"));
        Assert.Equal(TaskState.Lost, lost.State);
        Assert.Equal(TaskStatusReason.InvalidOffers, lost.Reason);
        Assert.Empty(await h.Master.GetTasksAsync());

        // Re-registering restores it.
        await agent.ReregisterAsync(h.Transport, h.EndPoint, []);
        await h.SettleAsync(agent);
        await h.AdvanceAsync(h.Options.AllocationInterval);
        Assert.Equal(agent.Id, (await fw.NextOfferAsync()).AgentId);
    }

    [Fact]
    public async Task A_framework_that_fails_over_within_its_timeout_keeps_its_tasks()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", failoverTimeout: TimeSpan.FromMinutes(1));
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        var (run, _) = await LaunchRunningAsync(h, fw, agent, "t1");
        var id = fw.Driver.FrameworkId;
        using var watch = h.Master.Watch();
        await fw.Client.StopAsync();
        await watch.NextAsync(e => e.Kind == MasterEventKind.FrameworkDisconnected && e.FrameworkId == id);
        await h.AdvanceAsync(TimeSpan.FromSeconds(50));

        var again = await h.AddFrameworkAsync("f", failoverTimeout: TimeSpan.FromMinutes(1), id: id);
        Assert.Equal(id, again.Driver.FrameworkId);
        await h.AdvanceAsync(TimeSpan.FromSeconds(30));
        var tasks = await h.Master.GetTasksAsync();
        Assert.Equal(TaskState.Running, Assert.Single(tasks).State);
        await h.SettleAsync(agent);
        Assert.False(agent.Kills.Reader.TryRead(out _));
        // Updates now reach the new scheduler instance.
        await agent.SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Finished);
        Assert.Equal(TaskState.Finished, (await again.NextUpdateAsync(run.Task.Id)).State);
    }

    [Fact]
    public async Task A_framework_gone_longer_than_its_failover_timeout_is_removed_and_its_tasks_killed()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", failoverTimeout: TimeSpan.FromMinutes(1));
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        var (run, _) = await LaunchRunningAsync(h, fw, agent, "t1");
        var id = fw.Driver.FrameworkId;
        using var watch = h.Master.Watch();
        await fw.Client.StopAsync();
        await watch.NextAsync(e => e.Kind == MasterEventKind.FrameworkDisconnected && e.FrameworkId == id);
        await h.AdvanceAsync(TimeSpan.FromSeconds(59));
        await h.SettleAsync(agent);
        Assert.False(agent.Kills.Reader.TryRead(out _));
        await h.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(run.Task!.Id, (await agent.NextKillAsync()).TaskId);
        Assert.Empty(await h.Master.GetFrameworksAsync());
        // Its agent's updates are acknowledged by the master so they stop.
        var killed = await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Killed);
        Assert.Equal(killed.UpdateId, (await agent.NextAckAsync(killed.UpdateId)).UpdateId);
        // And it cannot come back with its id.
        var late = new TestScheduler();
        var client = DcOs.Framework.DcOsFramework.Create(h.Transport, new DcOs.Framework.FrameworkOptions
        {
            Master = h.EndPoint,
            Framework = new FrameworkInfo { Id = id, Name = "f" },
        }, late, h.Time);
        late.Client = client;
        await client.StartAsync();
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        Assert.Contains("was removed", await late.Errors.Reader.ReadAsync(cts.Token));
        await client.DisposeAsync();
    }

    [Fact]
    public async Task A_drained_agent_gets_no_offers_its_tasks_are_killed_and_maintenance_is_the_pending_reason()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        var (run, _) = await LaunchRunningAsync(h, fw, agent, "t1");
        await h.Master.DrainAgentAsync(agent.Id, TimeSpan.FromSeconds(7));
        var kill = await agent.NextKillAsync();
        Assert.Equal(run.Task!.Id, kill.TaskId);
        Assert.Equal(7000, kill.GracePeriodMs);
        Assert.Equal(AgentStatus.Draining, (await h.Master.GetAgentsAsync()).Single().Status);
        await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Killed);
        await h.SettleAsync(agent);
        Assert.Equal(AgentStatus.Drained, (await h.Master.GetAgentsAsync()).Single().Status);
        await h.AdvanceAsync(h.Options.AllocationInterval * 3);
        while (fw.Offers.Reader.TryRead(out var stale)) Assert.NotEqual(agent.Id, stale.AgentId == agent.Id && stale.Resources.Cpus == 2 ? agent.Id : default);
        await fw.AssertNoOfferAsync();
        var counts = await h.Master.GetRejectionCountsAsync(fw.Driver.FrameworkId);
        Assert.True(counts.GetValueOrDefault(PlacementReason.Maintenance) >= 1);
    }

    [Fact]
    public async Task A_second_master_on_the_same_sqlite_store_is_refused_naming_the_first()
    {
        var dir = Directory.CreateTempSubdirectory("dcos-store-lock-");
        try
        {
            var path = Path.Combine(dir.FullName, "master.db");
            await using (var first = SqliteMasterStores.Open(path))
            {
                var e = Assert.Throws<IOException>(() => SqliteMasterStores.Open(path));
                Assert.Contains($"in use by the master with pid {Environment.ProcessId}", e.Message);
                Assert.Contains("one master per data dir", e.Message);
                if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
            // Released with the store (and by the kernel when a master dies, kill -9 included).
            await using var again = SqliteMasterStores.Open(path);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_master_restarted_on_its_sqlite_store_recovers_and_loses_no_task()
    {
        var dir = Directory.CreateTempSubdirectory("dcos-master-");
        try
        {
            var path = Path.Combine(dir.FullName, "master.db");
            var transport = DcOs.Transport.DcOsTransports.CreateInMemory();
            var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
            var endPoint = new DcOs.Transport.InMemoryEndPoint("restart-" + Guid.NewGuid().ToString("N"));
            FrameworkId fwId;
            RunTask run;
            FakeAgent agent;
            var first = new MasterHarness(store: SqliteMasterStores.Open(path), transport: transport, time: time, endPoint: endPoint);
            await first.StartAsync();
            var fw = await first.AddFrameworkAsync("f");
            agent = await FakeAgent.RegisterAsync(transport, endPoint, new AgentInfo { Hostname = "h1", Resources = Resources.Parse("cpus:4;mem:4096") });
            (run, _) = await LaunchRunningAsync(first, fw, agent, "t1");
            fwId = fw.Driver.FrameworkId;
            await fw.Client.StopAsync();
            await first.Engine.StopAsync();
            await first.Store.DisposeAsync();

            // A new master process on the same file.
            await using var second = new MasterHarness(store: SqliteMasterStores.Open(path), transport: transport, time: time, endPoint: endPoint);
            await second.StartAsync();
            var recovered = await second.Master.GetTasksAsync();
            Assert.Equal(TaskState.Running, Assert.Single(recovered).State);
            Assert.Equal(AgentStatus.Recovering, (await second.Master.GetAgentsAsync()).Single().Status);

            await agent.ReregisterAsync(transport, endPoint, [new RunningTask { FrameworkId = run.FrameworkId, TaskId = run.Task!.Id, State = TaskState.Running, Resources = run.Task.Resources, Spec = run.Task }]);
            var back = await second.AddFrameworkAsync("f", id: fwId);
            await second.SettleAsync(agent, back);
            Assert.Equal(AgentStatus.Active, (await second.Master.GetAgentsAsync()).Single().Status);
            // The recovered task's resources are accounted: only the rest of the agent is offered while it runs.
            Assert.Equal(3.5, (await back.NextOfferAsync()).Resources.Cpus);
            await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Finished);
            Assert.Equal(TaskState.Finished, (await back.NextUpdateAsync(run.Task.Id)).State);
            Assert.Equal(0.5, (await back.NextOfferAsync()).Resources.Cpus);
            await agent.DisposeAsync();
            await second.Store.DisposeAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Agents_that_do_not_reregister_after_a_master_restart_become_unreachable()
    {
        var store = MasterStores.InMemory();
        var transport = DcOs.Transport.DcOsTransports.CreateInMemory();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var endPoint = new DcOs.Transport.InMemoryEndPoint("rr-" + Guid.NewGuid().ToString("N"));
        await using (var first = new MasterHarness(store: store, transport: transport, time: time, endPoint: endPoint))
        {
            await first.StartAsync();
            await first.AddAgentAsync("cpus:1;mem:512");
        }
        await using var second = new MasterHarness(o => o.AgentReregisterTimeout = TimeSpan.FromMinutes(2), store, transport, time, endPoint);
        await second.StartAsync();
        Assert.Equal(AgentStatus.Recovering, (await second.Master.GetAgentsAsync()).Single().Status);
        await second.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(AgentStatus.Unreachable, (await second.Master.GetAgentsAsync()).Single().Status);
    }

    [Fact]
    public async Task The_removal_rate_limit_declares_silent_agents_unreachable_one_turn_at_a_time_and_spares_one_that_answers_again()
    {
        // Two per minute: one every 30 s, i.e. every second ping tick (15 s).
        await using var h = new MasterHarness(o => o.AgentRemovalRateLimit = new AgentRemovalRateLimit(2, TimeSpan.FromMinutes(1)));
        await h.StartAsync();
        var agents = new List<FakeAgent>();
        for (var i = 0; i < 6; i++) agents.Add(await h.AddAgentAsync("cpus:1;mem:512", hostname: $"rack1-{i}"));
        var steady = await h.AddAgentAsync("cpus:1;mem:512", hostname: "rack2-0");
        foreach (var a in agents) a.AnswerPings = false;

        async Task<int> UnreachableAsync() => (await h.Master.GetAgentsAsync()).Count(a => a.Status == AgentStatus.Unreachable);
        async Task TickAsync()
        {
            await h.AdvanceAsync(h.Options.AgentPingTimeout);
            // The agents that answer have had their pongs handled before the next tick (the silent ones get closed).
            await h.SettleAsync(steady, agents[^1]);
        }

        // Without a limit all six would go at the sixth tick; with it, one then, one more every 30 s.
        for (var i = 0; i < h.Options.MaxAgentPingTimeouts + 1; i++) await TickAsync();
        Assert.Equal(1, await UnreachableAsync());
        await TickAsync();
        Assert.Equal(1, await UnreachableAsync());
        await TickAsync();
        Assert.Equal(2, await UnreachableAsync());

        // One of the waiting ones answers again before its turn: it stays, and the turn goes to the next.
        var back = agents[^1];
        back.AnswerPings = true;
        for (var i = 0; i < 12; i++) await TickAsync();
        var view = await h.Master.GetAgentsAsync();
        Assert.Equal(5, view.Count(a => a.Status == AgentStatus.Unreachable));
        Assert.Equal(AgentStatus.Active, view.Single(a => a.Info.Id == back.Id).Status);
        Assert.Equal(AgentStatus.Active, view.Single(a => a.Info.Id == steady.Id).Status);
    }
}
