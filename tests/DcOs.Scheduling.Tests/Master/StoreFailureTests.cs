using DcOs.Core;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Sqlite;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>
/// The store is the truth: a step whose write fails changes nothing anyone can see, the master stops acting while the
/// store fails (without closing connections), and resumes from what the store holds.
/// </summary>
public sealed class StoreFailureTests
{
    /// <summary>A real in-memory store whose writes the test can make fail, as a full disk makes SQLite's fail.</summary>
    private sealed class FailingStore : IMasterStore
    {
        private readonly IMasterStore _inner = MasterStores.InMemory();

        public volatile bool Failing;

        public int FailedWrites;

        public Task<MasterStoreState> LoadAsync(CancellationToken cancellationToken = default) => _inner.LoadAsync(cancellationToken);

        public Task WriteAsync(MasterStoreChanges changes, CancellationToken cancellationToken = default)
        {
            if (!Failing) return _inner.WriteAsync(changes, cancellationToken);
            Interlocked.Increment(ref FailedWrites);
            throw new IOException("disk I/O error: database or disk is full");
        }

        public Task CheckWritableAsync(CancellationToken cancellationToken = default) =>
            Failing ? throw new IOException("disk I/O error: database or disk is full") : Task.CompletedTask;

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }

    /// <summary>
    /// Moves the clock in steps; after each, a request from <paramref name="barrier"/> is answered (refused, while the
    /// store fails) only after the loop handled what the timers queued.
    /// </summary>
    private static async Task AdvanceAsync(MasterHarness h, FakeAgent barrier, TimeSpan total, TimeSpan step)
    {
        for (var passed = TimeSpan.Zero; passed < total; passed += step)
        {
            h.Time.Advance(step);
            await barrier.SyncAsync();
        }
    }

    private static async Task<DcOsMessage> JoinAsync(MasterHarness h, string hostname)
    {
        var agent = new FakeAgent();
        var answer = await agent.TryConnectAsync(h.Transport, h.EndPoint, new AgentInfo { Hostname = hostname, Resources = Resources.Parse("cpus:1;mem:512") }, reregister: false, []);
        await agent.DisposeAsync();
        return answer;
    }

    private static RunningTask Reported(RunTask run, TaskState state) =>
        new() { FrameworkId = run.FrameworkId, TaskId = run.Task!.Id, State = state, Resources = run.Task.Resources, Spec = run.Task };

    [Fact]
    public async Task A_failed_write_applies_and_sends_nothing_and_the_master_is_unavailable_until_the_store_works_again()
    {
        var store = new FailingStore();
        await using var h = new MasterHarness(store: store);
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", capabilities: FrameworkCapabilities.PartitionAware);
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        var offer = await fw.NextOfferAsync();
        await fw.Driver.AcceptAsync([offer.Id], [TaskLifecycleTests.Task("t1")], new Filters(0));
        var run = await agent.NextLaunchAsync();
        await agent.SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Running);
        Assert.Equal(TaskState.Running, (await fw.NextUpdateAsync(run.Task.Id)).State);
        using var watch = h.Master.Watch();

        store.Failing = true;
        var finished = await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Finished);
        var failed = await watch.NextAsync(e => e.Kind == MasterEventKind.StoreFailed);
        Assert.Contains("disk is full", failed.Detail);

        // Every call is refused with the reason, and changes nothing: neither queries nor operations run.
        var query = await Assert.ThrowsAsync<MasterUnavailableException>(() => h.Master.GetTasksAsync());
        Assert.Contains("disk is full", query.Message);
        await Assert.ThrowsAsync<MasterUnavailableException>(() => h.Master.DrainAgentAsync(agent.Id));
        // A peer's request is answered "unavailable" on its open connection, and a new agent cannot join.
        var answer = Assert.IsType<ErrorMessage>(await agent.Connection.RequestAsync(new AgentPong(), MasterHarness.Timeout));
        Assert.Equal(ErrorCode.Unavailable, answer.Code);
        Assert.Equal(ErrorCode.Unavailable, Assert.IsType<ErrorMessage>(await JoinAsync(h, "late")).Code);
        // Time passing acts on nothing: no pings counted, no unreachable agent.
        await AdvanceAsync(h, agent, h.Options.AgentPingTimeout * (h.Options.MaxAgentPingTimeouts + 1), h.Options.AgentPingTimeout);
        Assert.False(agent.Connection.Closed.IsCompleted, "the master must not close a peer's connection over its own store");
        var stored = await store.LoadAsync();
        Assert.Equal(TaskState.Running, Assert.Single(stored.Tasks).Status.State);
        Assert.Equal(AgentStatus.Active, Assert.Single(stored.Agents).Status);

        // The store works again: at the next check the master reloads it and asks every peer to come back.
        store.Failing = false;
        h.Time.Advance(h.Options.StoreRetryInterval);
        await watch.NextAsync(e => e.Kind == MasterEventKind.StoreResumed);
        await agent.Connection.Closed.WaitAsync(MasterHarness.Timeout);
        Assert.Equal(TaskState.Running, Assert.Single(await h.Master.GetTasksAsync()).State);
        Assert.Equal(AgentStatus.Recovering, Assert.Single(await h.Master.GetAgentsAsync()).Status);

        // The framework re-subscribes by itself (after its reconnect delay); the agent re-registers and sends its
        // unacknowledged update again.
        // Its reconnect timer is armed when it sees the connection close, which may come after an advance of the fake
        // clock: the clock moves a second at a time until the subscription comes.
        using (var cts = new CancellationTokenSource(MasterHarness.Timeout))
        {
            var subscribed = false;
            while (!subscribed)
            {
                h.Time.Advance(TimeSpan.FromSeconds(1));
                using var step = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                step.CancelAfter(TimeSpan.FromMilliseconds(250));
                try
                {
                    while (!subscribed) subscribed = await fw.SubscribedEvents.Reader.ReadAsync(step.Token);
                }
                catch (OperationCanceledException) when (!cts.IsCancellationRequested)
                {
                    // Not yet: advance again.
                }
            }
        }
        await fw.SyncAsync();
        Assert.False(fw.Updates.Reader.TryRead(out var early), $"the framework heard of {early?.State} that the store never had");
        await agent.ReregisterAsync(h.Transport, h.EndPoint, [Reported(run, TaskState.Running)]);
        await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Finished, updateId: finished.UpdateId);
        Assert.Equal(TaskState.Finished, (await fw.NextUpdateAsync(run.Task.Id)).State);
        Assert.Equal(finished.UpdateId, (await agent.NextAckAsync(finished.UpdateId)).UpdateId);
        Assert.Equal(TaskState.Finished, Assert.Single((await store.LoadAsync()).Tasks).Status.State);
        Assert.Equal(AgentStatus.Active, Assert.Single(await h.Master.GetAgentsAsync()).Status);
    }

    [Fact]
    public async Task A_store_that_keeps_failing_keeps_the_master_stopped_and_the_checks_do_not_hammer_it()
    {
        var store = new FailingStore();
        await using var h = new MasterHarness(store: store);
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        using var watch = h.Master.Watch();

        store.Failing = true;
        Assert.Equal(ErrorCode.Unavailable, Assert.IsType<ErrorMessage>(await JoinAsync(h, "first")).Code);
        await watch.NextAsync(e => e.Kind == MasterEventKind.StoreFailed);
        Assert.Equal(1, store.FailedWrites);
        for (var i = 0; i < 5; i++)
        {
            h.Time.Advance(h.Options.StoreRetryInterval);
            await Assert.ThrowsAsync<MasterUnavailableException>(() => h.Master.GetAgentsAsync());
        }
        // Checks only: no step was tried against the failing store again.
        Assert.Equal(1, store.FailedWrites);
        Assert.Empty((await store.LoadAsync()).Agents);
        Assert.False(fw.Client.Subscribed.IsFaulted);
    }

    [Fact]
    public async Task A_failover_timer_armed_before_the_store_failed_does_not_act_on_the_reloaded_state()
    {
        var store = new FailingStore();
        await using var h = new MasterHarness(store: store);
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", failoverTimeout: TimeSpan.FromSeconds(30));
        var id = fw.Driver.FrameworkId;
        using var watch = h.Master.Watch();
        await fw.Client.StopAsync();
        await watch.NextAsync(e => e.Kind == MasterEventKind.FrameworkDisconnected);

        store.Failing = true;
        await JoinAsync(h, "first");
        await watch.NextAsync(e => e.Kind == MasterEventKind.StoreFailed);
        store.Failing = false;
        h.Time.Advance(h.Options.StoreRetryInterval);
        await watch.NextAsync(e => e.Kind == MasterEventKind.StoreResumed);

        // The old failover timer (30 s) is void; the reloaded framework gets the restart's re-registration time.
        for (var i = 0; i < 6; i++) await h.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(id, Assert.Single(await h.Master.GetFrameworksAsync()).Info.Id);
    }

    [Fact]
    public async Task A_sqlite_write_that_fails_part_way_stores_none_of_its_step()
    {
        var dir = Directory.CreateTempSubdirectory("dcos-store-");
        try
        {
            await using var store = SqliteMasterStores.Open(Path.Combine(dir.FullName, "master.db"));
            var agent = new AgentRecord(new AgentInfo { Id = new AgentId("a1"), Hostname = "h", Resources = Resources.Parse("cpus:1;mem:512") }, AgentStatus.Active, DateTimeOffset.UnixEpoch);
            var framework = new FrameworkRecord(new FrameworkInfo { Id = new FrameworkId("f1"), Name = "f" }, DateTimeOffset.UnixEpoch);
            // The task cannot be written (no spec): the statements before it in the step are rolled back.
            var broken = new TaskRecord(framework.Info.Id, agent.Info.Id, null!, new TaskStatusUpdate { TaskId = new TaskId("t1"), State = TaskState.Running }, "*", null);

            await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync(new MasterStoreChanges([agent], [framework], [], [broken], [])));
            var state = await store.LoadAsync();
            Assert.Empty(state.Agents);
            Assert.Empty(state.Frameworks);

            await store.WriteAsync(new MasterStoreChanges([agent], [framework], [], [], []));
            await store.CheckWritableAsync();
            Assert.Single((await store.LoadAsync()).Agents);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }
}
