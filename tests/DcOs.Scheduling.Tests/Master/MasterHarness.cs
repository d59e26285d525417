using System.Net;
using System.Threading.Channels;
using DcOs.Core;
using DcOs.Framework;
using DcOs.Optimization;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;
using DcOs.Transport;
using DcOs.Transport.Messages;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>
/// A master on the in-memory transport with fake time, plus test-double agents and SDK frameworks. The transport's
/// own heartbeats run on real time (they are the transport's business); everything the master and frameworks decide
/// reads the fake clock, which the test advances.
/// </summary>
internal sealed class MasterHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly List<IAsyncDisposable> _owned = [];

    public MasterHarness(Action<MasterOptions>? configure = null, IMasterStore? store = null, IDcOsTransport? transport = null, FakeTimeProvider? time = null, EndPoint? endPoint = null, System.Diagnostics.Metrics.IMeterFactory? meters = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        Transport = transport ?? DcOsTransports.CreateInMemory();
        Store = store ?? MasterStores.InMemory();
        Options = new MasterOptions { EndPoint = endPoint ?? new InMemoryEndPoint("master-" + Guid.NewGuid().ToString("N")) };
        configure?.Invoke(Options);
        Engine = new MasterEngine(Options, Transport, Store, Time, NullLoggerFactory.Instance, PlacementOptimizer.Create(new OptimizerOptions { TimeProvider = Time }), meters);
    }

    public FakeTimeProvider Time { get; }

    public IDcOsTransport Transport { get; }

    public IMasterStore Store { get; }

    public MasterOptions Options { get; }

    public MasterEngine Engine { get; }

    public IMaster Master => Engine;

    public EndPoint EndPoint => Engine.LocalEndPoint!;

    public Task StartAsync() => Engine.StartAsync();

    /// <summary>
    /// Waits until the master handled everything queued so far, and the allocation it made due: any query on the master
    /// answers only then (see MasterEngine.InvokeAsync), so a cheap one serves as the barrier.
    /// </summary>
    public Task IdleAsync() => Engine.GetFrameworksAsync().WaitAsync(Timeout);

    /// <summary>Advances fake time and waits until the master handled what the timers queued.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Time.Advance(by);
        await IdleAsync();
    }

    public async Task<FakeAgent> AddAgentAsync(string resources, string? attributes = null, string? hostname = null, IReadOnlyList<GpuDevice>? gpus = null)
    {
        var agent = await FakeAgent.RegisterAsync(Transport, EndPoint, new AgentInfo
        {
            Hostname = hostname ?? "host-" + Guid.NewGuid().ToString("N")[..6],
            Resources = Resources.Parse(resources),
            Gpus = gpus ?? [],
            Attributes = attributes is null ? Attributes.Empty : Attributes.Parse(attributes),
        });
        _owned.Add(agent);
        await IdleAsync();
        return agent;
    }

    public async Task<TestScheduler> AddFrameworkAsync(string name, string role = "*", FrameworkCapabilities capabilities = FrameworkCapabilities.None, TimeSpan? failoverTimeout = null, FrameworkId id = default)
    {
        var scheduler = new TestScheduler();
        var client = DcOsFramework.Create(Transport, new FrameworkOptions
        {
            Master = EndPoint,
            Framework = new FrameworkInfo { Id = id, Name = name, Roles = [role], Capabilities = capabilities, FailoverTimeout = failoverTimeout ?? TimeSpan.FromDays(7) },
        }, scheduler, Time, NullLoggerFactory.Instance);
        scheduler.Client = client;
        await client.StartAsync();
        await client.Subscribed.WaitAsync(Timeout);
        _owned.Add(client);
        await IdleAsync();
        return scheduler;
    }

    /// <summary>Waits until the master handled everything these peers sent, and its resulting allocation.</summary>
    public async Task SettleAsync(params object[] peers)
    {
        foreach (var peer in peers)
        {
            if (peer is TestScheduler s) await s.SyncAsync();
            else if (peer is FakeAgent a) await a.SyncAsync();
        }
        await IdleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _owned) await d.DisposeAsync();
        await Engine.DisposeAsync();
    }
}

/// <summary>A framework scheduler that records every callback in channels the test reads.</summary>
internal sealed class TestScheduler : FrameworkScheduler
{
    public IFrameworkClient Client { get; set; } = null!;

    public IFrameworkDriver Driver => Client;

    public Channel<Offer> Offers { get; } = Channel.CreateUnbounded<Offer>();

    public Channel<TaskStatusUpdate> Updates { get; } = Channel.CreateUnbounded<TaskStatusUpdate>();

    public Channel<OfferId> Rescinded { get; } = Channel.CreateUnbounded<OfferId>();

    public Channel<AgentId> LostAgents { get; } = Channel.CreateUnbounded<AgentId>();

    public Channel<string> Errors { get; } = Channel.CreateUnbounded<string>();

    public int Subscriptions;

    /// <summary>One entry per subscription callback: whether it was a re-subscription.</summary>
    public Channel<bool> SubscribedEvents { get; } = Channel.CreateUnbounded<bool>();

    public override Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected)
    {
        Interlocked.Increment(ref Subscriptions);
        SubscribedEvents.Writer.TryWrite(reconnected);
        return Task.CompletedTask;
    }

    /// <summary>How many offers each delivery carried, in order.</summary>
    public Channel<int> OfferBatches { get; } = Channel.CreateUnbounded<int>();

    public override Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        OfferBatches.Writer.TryWrite(offers.Count);
        foreach (var o in offers) Offers.Writer.TryWrite(o);
        return Task.CompletedTask;
    }

    public override Task OfferRescindedAsync(IFrameworkDriver driver, OfferId offerId)
    {
        Rescinded.Writer.TryWrite(offerId);
        return Task.CompletedTask;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<TaskId, TaskCompletionSource> _probes = new();

    public override Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
    {
        if (_probes.TryRemove(status.TaskId, out var probe)) probe.TrySetResult();
        else Updates.Writer.TryWrite(status);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A barrier: reconciles a made-up task and waits for the master's answer, which arrives after everything the
    /// master sent before it. After this, an empty channel really means nothing was sent.
    /// </summary>
    public async Task SyncAsync()
    {
        var id = new TaskId("probe-" + Guid.NewGuid().ToString("N"));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _probes[id] = done;
        await Driver.ReconcileAsync([(id, default)]);
        await done.Task.WaitAsync(MasterHarness.Timeout);
    }

    /// <summary>Asserts that no offer is pending after a barrier.</summary>
    public async Task AssertNoOfferAsync()
    {
        await SyncAsync();
        Assert.False(Offers.Reader.TryRead(out var offer), $"unexpected offer {offer?.Id} of {offer?.Resources} on {offer?.AgentId}");
    }

    public override Task AgentLostAsync(IFrameworkDriver driver, AgentId agentId, string reason)
    {
        LostAgents.Writer.TryWrite(agentId);
        return Task.CompletedTask;
    }

    public override Task ErrorAsync(IFrameworkDriver driver, string message)
    {
        Errors.Writer.TryWrite(message);
        return Task.CompletedTask;
    }

    public async Task<Offer> NextOfferAsync()
    {
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        return await Offers.Reader.ReadAsync(cts.Token);
    }

    public async Task<TaskStatusUpdate> NextUpdateAsync()
    {
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        return await Updates.Reader.ReadAsync(cts.Token);
    }

    /// <summary>The next update for <paramref name="taskId"/>, skipping others.</summary>
    public async Task<TaskStatusUpdate> NextUpdateAsync(TaskId taskId)
    {
        while (true)
        {
            var update = await NextUpdateAsync();
            if (update.TaskId == taskId) return update;
        }
    }

    /// <summary>Waits until the driver's event loop has delivered everything queued, then reports whether an offer is pending.</summary>
    public bool HasOffer(out Offer? offer) => Offers.Reader.TryRead(out offer);
}

/// <summary>
/// A test-double agent: registers over the transport, answers pings, records what the master sends, and sends status
/// updates as a real agent would (each with a new update id, resent until acknowledged when the test asks).
/// </summary>
internal sealed class FakeAgent : IMessageHandler, IAsyncDisposable
{
    private IMessageConnection _connection = null!;

    public AgentId Id { get; private set; }

    public AgentInfo Info { get; private set; } = null!;

    public Channel<RunTask> Launched { get; } = Channel.CreateUnbounded<RunTask>();

    public Channel<KillTask> Kills { get; } = Channel.CreateUnbounded<KillTask>();

    public Channel<StatusUpdateAck> Acks { get; } = Channel.CreateUnbounded<StatusUpdateAck>();

    public bool AnswerPings { get; set; } = true;

    /// <summary>When set, a RunTask is answered at once with TASK_RUNNING.</summary>
    public bool AutoRun { get; set; }

    public IMessageConnection Connection => _connection;

    public static async Task<FakeAgent> RegisterAsync(IDcOsTransport transport, EndPoint master, AgentInfo info)
    {
        var agent = new FakeAgent();
        await agent.ConnectAsync(transport, master, info, reregister: false, []);
        return agent;
    }

    public async Task ConnectAsync(IDcOsTransport transport, EndPoint master, AgentInfo info, bool reregister, List<RunningTask> tasks, ClientCredentials? credentials = null)
    {
        var answer = await TryConnectAsync(transport, master, info, reregister, tasks, credentials);
        var registered = Assert.IsType<AgentRegistered>(answer);
        Id = registered.AgentId;
        Token = registered.Token;
        Info = info with { Id = Id };
    }

    /// <summary>Connects and registers; returns the master's answer (AgentRegistered or ErrorMessage).</summary>
    public async Task<DcOsMessage> TryConnectAsync(IDcOsTransport transport, EndPoint master, AgentInfo info, bool reregister, List<RunningTask> tasks, ClientCredentials? credentials = null)
    {
        _connection = await transport.ConnectAsync(master, credentials ?? new ClientCredentials("agent-" + info.Hostname, PeerRole.Agent));
        _connection.Start(this);
        DcOsMessage request = reregister ? new ReregisterAgent { Agent = info, Tasks = tasks } : new RegisterAgent { Agent = info };
        return await _connection.RequestAsync(request, MasterHarness.Timeout);
    }

    /// <summary>The credential the master issued when the agent joined with a cluster's join token.</summary>
    public string? Token { get; private set; }

    public Task ReregisterAsync(IDcOsTransport transport, EndPoint master, List<RunningTask> tasks) =>
        ConnectAsync(transport, master, Info, reregister: true, tasks);

    public async ValueTask OnMessageAsync(MessageContext context)
    {
        var connection = context.Connection;
        switch (context.Message)
        {
            case AgentPing ping when AnswerPings:
                await connection.SendAsync(new AgentPong { Sequence = ping.Sequence });
                break;
            case RunTask run:
                Launched.Writer.TryWrite(run);
                if (AutoRun) await SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Running);
                break;
            case KillTask kill:
                Kills.Writer.TryWrite(kill);
                break;
            case StatusUpdateAck ack:
                Acks.Writer.TryWrite(ack);
                break;
        }
    }

    public void OnClosed(IMessageConnection connection, CloseReason reason)
    {
    }

    public async Task<TaskStatusUpdate> SendStatusAsync(FrameworkId framework, TaskId task, TaskState state, string? message = null, Guid? updateId = null)
    {
        var status = new TaskStatusUpdate
        {
            TaskId = task,
            State = state,
            Source = TaskStatusSource.Executor,
            Message = message,
            UpdateId = updateId ?? Guid.NewGuid(),
            Timestamp = DateTimeOffset.UnixEpoch,
            AgentId = Id,
        };
        await _connection.SendAsync(new StatusUpdate { FrameworkId = framework, Status = status });
        return status;
    }

    public async Task<RunTask> NextLaunchAsync()
    {
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        return await Launched.Reader.ReadAsync(cts.Token);
    }

    public async Task<KillTask> NextKillAsync()
    {
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        return await Kills.Reader.ReadAsync(cts.Token);
    }

    public async Task<StatusUpdateAck> NextAckAsync()
    {
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        return await Acks.Reader.ReadAsync(cts.Token);
    }

    /// <summary>The acknowledgement of <paramref name="updateId"/>, skipping others.</summary>
    public async Task<StatusUpdateAck> NextAckAsync(Guid updateId)
    {
        while (true)
        {
            var ack = await NextAckAsync();
            if (ack.UpdateId == updateId) return ack;
        }
    }

    public Task DisconnectAsync() => _connection.CloseAsync("test disconnects the agent");

    /// <summary>A barrier: a request the master answers after everything this agent sent before it.</summary>
    public Task SyncAsync() => _connection.RequestAsync(new Request { Body = new Heartbeat() }, MasterHarness.Timeout);

    public async ValueTask DisposeAsync() => await _connection.CloseAsync("test over");
}
