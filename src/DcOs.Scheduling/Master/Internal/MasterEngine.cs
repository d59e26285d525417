using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.Channels;
using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Scheduling.Allocation;
using DcOs.Transport;
using DcOs.Transport.Messages;
using Microsoft.Extensions.Logging;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The master. All state lives on one event loop (an actor): connection handlers, timers and API calls post work items
/// to a queue and a single loop runs them in order, so the state needs no locks and a test that drives time with a
/// fake clock sees a deterministic sequence. Allocation triggered by events runs once at the end of each batch of
/// work items ("batched"); a full round also runs every allocation interval.
/// The master never awaits a peer from the loop: sends are queued on connections (a peer whose queue is full is
/// closed as too slow), and requests to agents (logs, usage) are awaited outside it.
/// The store is the truth. Each work item is a step: its store changes are collected (<see cref="StoreChangeSet"/>)
/// and written together when it ends, and only then do its sends, replies and events leave (the outbox). A write that
/// fails leaves nothing on the wire; the master then stops acting (fail-stop: every call is answered "unavailable",
/// nothing is offered), checks the store every <see cref="MasterOptions.StoreRetryInterval"/>, and once it accepts
/// writes, throws its memory away, reloads it from the store as a restart does, and closes every connection so that
/// agents re-register and frameworks re-subscribe against what the store holds.
/// </summary>
internal sealed partial class MasterEngine : IMaster
{
    private readonly MasterOptions _options;
    private readonly IDcOsTransport _transport;
    private readonly IMasterStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IPlacementOptimizer? _optimizer;
    private readonly Channel<WorkItem> _work = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Most work items one loop turn runs before its store write.</summary>
    private const int MaxTurn = 1024;

    /// <summary>The items of the current turn and how each ended (the loop's own, reused).</summary>
    private readonly List<(WorkItem Item, Exception? Failure)> _turn = [];
    private readonly StoreChangeSet _changes = new();
    private readonly List<(IMessageConnection Connection, DcOsMessage Message)> _outbox = [];
    private readonly SendSpill _spill;
    private readonly MasterEvents _events;
    private readonly MasterMetrics _metrics;
    private readonly List<AllocationDecision> _decisions = [];
    private readonly CancellationTokenSource _stopping = new();

    // The state, rebuilt from the store at start and after a store failure (ResetState).
    private HierarchicalAllocator _allocator = null!;
    private AgentTable _agents = null!;
    private FrameworkTable _frameworks = null!;
    private OfferBook _offers = null!;
    private TaskTable _tasks = null!;
    private string _runId = "";
    private int _epoch;

    /// <summary>Why the master stopped acting (a store write failed), or null while it acts.</summary>
    private string? _storeFailure;
    private ITimer? _storeRetryTimer;
    private IConnectionListener? _listener;
    private Task _loop = Task.CompletedTask;
    private Task _accepting = Task.CompletedTask;
    private ITimer? _allocationTimer;
    private ITimer? _pingTimer;
    private ITimer? _reregisterTimer;
    private bool _fullRoundDue;
    private long _nextAgent;
    private long _nextFramework;
    private int _started;

    public MasterEngine(MasterOptions options, IDcOsTransport transport, IMasterStore store, TimeProvider time, ILoggerFactory loggers, IPlacementOptimizer? optimizer = null, IMeterFactory? meters = null)
    {
        options.Validate();
        _options = options;
        _transport = transport;
        _store = store;
        _time = time;
        _optimizer = optimizer;
        _logger = loggers.CreateLogger("DcOs.Master");
        _spill = new SendSpill(connection =>
        {
            MasterLog.SlowPeer(_logger, connection.ToString() ?? connection.Id);
            _ = connection.CloseAsync($"send queue full: the peer is not reading fast enough (more than {SendSpill.DefaultMaxSpilled} messages waiting)");
        });
        _events = new MasterEvents(time);
        _metrics = new MasterMetrics(time, () => InvokeAsync(() =>
        {
            _metrics!.Refresh(_agents, _frameworks, _offers.Count, _spill.Waiting);
            return 0;
        }), () => Volatile.Read(ref _queued), meters);
        ResetState();
    }

    /// <summary>
    /// Empty state: a new allocator, tables and offer book, under a new run id (new agent, framework and offer ids
    /// cannot collide with those of the state thrown away) and a new epoch (timers armed for that state do nothing).
    /// </summary>
    private void ResetState()
    {
        _epoch++;
        _runId = Guid.NewGuid().ToString("N")[..8];
        _nextAgent = 0;
        _nextFramework = 0;
        _fullRoundDue = false;
        _removals.Clear();
        _removalPending.Clear();
        _allocator = new HierarchicalAllocator(new Dictionary<string, double>(_options.RoleWeights), new Dictionary<string, RoleQuota>(_options.RoleQuotas));
        _agents = new AgentTable(_allocator, _changes);
        _frameworks = new FrameworkTable(_allocator, _changes);
        var frameworks = _frameworks;
        _allocator.OnRejected = (handle, reason) =>
        {
            if (frameworks.WithHandle(handle) is { } fw) fw.Rejections[(int)reason]++;
        };
        _offers = new OfferBook(_allocator, _runId);
        _tasks = new TaskTable(_allocator, _changes, _agents, _events, _options.CompletedTasksPerFramework);
    }

    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    private DateTimeOffset Now => _time.GetUtcNow();

    // ---- lifecycle ----

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("the master is already started");
        var state = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        Recover(state);
        _loop = Task.Run(RunLoopAsync, CancellationToken.None);
        _listener = await _transport.ListenAsync(_options.EndPoint, cancellationToken).ConfigureAwait(false);
        _accepting = Task.Run(AcceptLoopAsync, CancellationToken.None);
        _allocationTimer = _time.CreateTimer(_ => Post(OnAllocationTick), null, _options.AllocationInterval, _options.AllocationInterval);
        _pingTimer = _time.CreateTimer(_ => Post(PingAgents), null, _options.AgentPingTimeout, _options.AgentPingTimeout);
        MasterLog.Started(_logger, _listener.LocalEndPoint.ToString()!, state.Agents.Count, state.Frameworks.Count, state.Tasks.Count);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _allocationTimer?.Dispose();
        _pingTimer?.Dispose();
        _reregisterTimer?.Dispose();
        _storeRetryTimer?.Dispose();
        if (_listener is not null) await _listener.DisposeAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
        List<IMessageConnection> connections = [];
        await PostAndWaitAsync(() => connections = DropStateTimersAndConnections(), evenWhenUnavailable: true).ConfigureAwait(false);
        _work.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _events.CompleteAll();
        foreach (var c in connections) await c.CloseAsync("master stopping").ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _started) != 0) await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _metrics.Dispose();
    }

    // ---- the event loop ----

    /// <summary>One step of the loop. <paramref name="EvenWhenUnavailable"/>: it runs while the store is failing too (stop, store checks).</summary>
    private readonly record struct WorkItem(Func<ValueTask> Action, TaskCompletionSource? Done, bool EvenWhenUnavailable = false)
    {
        /// <summary>When it was queued (real time: the loop's lag is what a peer waits, whatever the master's clock says).</summary>
        public long Queued { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>Work items queued and not yet taken by the loop (the single-reader channel cannot count them).</summary>
    private int _queued;

    private bool Queue(WorkItem item)
    {
        Interlocked.Increment(ref _queued);
        if (_work.Writer.TryWrite(item)) return true;
        Interlocked.Decrement(ref _queued);
        return false;
    }

    /// <summary>Queues work for the loop (timers, connection closes).</summary>
    private void Post(Action action) => Queue(new WorkItem(() =>
    {
        action();
        return ValueTask.CompletedTask;
    }, null));

    /// <summary>
    /// Queues work for a timer armed for the current state: work of a timer armed before the state was reloaded (a
    /// store failure) finds another epoch and does nothing.
    /// </summary>
    private void PostForEpoch(int epoch, Action action) => Post(() =>
    {
        if (epoch == _epoch) action();
    });

    /// <summary>
    /// Queues work and waits for it, and for its store writes; connection handlers use this, so each connection has
    /// one item in flight. Fails with <see cref="MasterUnavailableException"/> while the store is failing.
    /// </summary>
    private Task PostAndWaitAsync(Action action, bool evenWhenUnavailable = false) => PostAndWaitAsync(() =>
    {
        action();
        return ValueTask.CompletedTask;
    }, evenWhenUnavailable);

    private Task PostAndWaitAsync(Func<ValueTask> action, bool evenWhenUnavailable = false)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Queue(new WorkItem(action, done, evenWhenUnavailable))) done.TrySetException(new ObjectDisposedException("the master is stopped"));
        return done.Task;
    }

    /// <summary>
    /// Runs <paramref name="query"/> on the loop and returns its result. A query sees the effect of everything queued
    /// before it, including the allocation that work made due (the offers it sent), as if the loop had finished its turn.
    /// </summary>
    private async Task<T> InvokeAsync<T>(Func<T> query)
    {
        T result = default!;
        await PostAndWaitAsync(() =>
        {
            AllocateIfDue();
            result = query();
        }).ConfigureAwait(false);
        return result;
    }

    private async Task RunLoopAsync()
    {
        var reader = _work.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // One turn: up to MaxTurn queued items, then one store write for all of them (a SQLite transaction, later
            // an etcd one), then their sends and answers. A write per item capped a 100,000-task launch on SQLite at
            // ~1,300 tasks/s. If the write fails, every item of the turn fails as one (nothing of them was stored).
            var turn = _turn;
            while (turn.Count < MaxTurn && reader.TryRead(out var item))
            {
                Interlocked.Decrement(ref _queued);
                if (_storeFailure is not null && !item.EvenWhenUnavailable)
                {
                    item.Done?.TrySetException(Unavailable());
                    continue;
                }
                _metrics.LoopLag(System.Diagnostics.Stopwatch.GetElapsedTime(item.Queued));
                Exception? failure = null;
                try
                {
                    await item.Action().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A handler that threw still commits what it changed before throwing (its steps are valid ones).
                    MasterLog.WorkFailed(_logger, e);
                    failure = e;
                }
                turn.Add((item, failure));
            }
            if (turn.Count > 0)
            {
                var committed = await CommitAsync().ConfigureAwait(false);
                foreach (var (item, failure) in turn)
                {
                    var outcome = committed ? failure : Unavailable();
                    if (outcome is null) item.Done?.TrySetResult();
                    else item.Done?.TrySetException(outcome);
                }
                turn.Clear();
            }
            if (_storeFailure is null)
            {
                AllocateIfDue();
                await CommitAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Ends a step: its store changes are written in one write, then its sends, replies and events leave. False when
    /// the write failed: nothing leaves, and the master stops acting until the store works again.
    /// </summary>
    private async ValueTask<bool> CommitAsync()
    {
        if (!_changes.IsEmpty)
        {
            try
            {
                await _store.WriteAsync(_changes.Take()).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                StopActing(e);
                return false;
            }
        }
        _spill.Sweep();
        foreach (var (connection, message) in _outbox) _spill.Send(connection, message);
        _outbox.Clear();
        _events.Flush();
        return true;
    }

    private MasterUnavailableException Unavailable() =>
        new($"the master is not acting: its store failed ({_storeFailure}); it checks the store every {_options.StoreRetryInterval.TotalSeconds:0.###} s and resumes once writes succeed");

    /// <summary>
    /// A store write failed: the step's sends, replies and events are dropped, and the master acts no more (memory may
    /// be ahead of the store now; it is never shown or used again) until <see cref="CheckStoreAsync"/> finds the store
    /// writable. Connections stay open, so peers do not reconnect in a loop; they are refused "unavailable" meanwhile.
    /// </summary>
    private void StopActing(Exception cause)
    {
        _storeFailure = cause.Message;
        _changes.Clear();
        _outbox.Clear();
        _events.Discard();
        foreach (var fw in _frameworks.All) fw.FailoverTimer?.Dispose();
        _reregisterTimer?.Dispose();
        MasterLog.StoreFailed(_logger, _options.StoreRetryInterval, cause);
        _events.Publish(MasterEventKind.StoreFailed, detail: cause.Message);
        _events.Flush();
        _storeRetryTimer?.Dispose();
        _storeRetryTimer = _time.CreateTimer(_ => Queue(new WorkItem(CheckStoreAsync, null, EvenWhenUnavailable: true)), null, _options.StoreRetryInterval, _options.StoreRetryInterval);
    }

    /// <summary>
    /// While the master is not acting: when the store accepts a write again, the state is rebuilt from what it holds
    /// (as after a restart: agents wait to re-register, frameworks to re-subscribe) and every peer's connection is
    /// closed, so that each comes back once and reconciles against that state.
    /// </summary>
    private async ValueTask CheckStoreAsync()
    {
        if (_storeFailure is null) return;
        MasterStoreState state;
        try
        {
            await _store.CheckWritableAsync().ConfigureAwait(false);
            state = await _store.LoadAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            MasterLog.StoreStillFailing(_logger, e.Message);
            return;
        }
        _storeRetryTimer?.Dispose();
        _storeRetryTimer = null;
        var connections = DropStateTimersAndConnections();
        ResetState();
        Recover(state);
        _storeFailure = null;
        foreach (var connection in connections) _ = connection.CloseAsync("the master reloaded its state from its store after a store failure; register again");
        MasterLog.StoreResumed(_logger, state.Agents.Count, state.Frameworks.Count, state.Tasks.Count, connections.Count);
        _events.Publish(MasterEventKind.StoreResumed, detail: $"{state.Agents.Count} agents, {state.Frameworks.Count} frameworks, {state.Tasks.Count} tasks reloaded");
    }

    /// <summary>Disarms the current state's timers and returns every peer's connection (stopping, or reloading the state).</summary>
    private List<IMessageConnection> DropStateTimersAndConnections()
    {
        _reregisterTimer?.Dispose();
        var connections = new List<IMessageConnection>();
        foreach (var fw in _frameworks.All)
        {
            fw.FailoverTimer?.Dispose();
            if (fw.Connection is { } c) connections.Add(c);
        }
        foreach (var agent in _agents.All)
        {
            if (agent.Connection is { } c) connections.Add(c);
        }
        return connections;
    }

    // ---- connections ----

    private async Task AcceptLoopAsync()
    {
        try
        {
            await AcceptConnectionsAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task AcceptConnectionsAsync()
    {
        while (await _listener!.AcceptAsync(_stopping.Token).ConfigureAwait(false) is { } connection)
        {
            switch (connection.Role)
            {
                case PeerRole.Agent:
                    connection.Start(new Session(this, connection, isAgent: true));
                    break;
                case PeerRole.Framework:
                    connection.Start(new Session(this, connection, isAgent: false));
                    break;
                default:
                    await connection.CloseAsync($"the master accepts agents and frameworks here, not {connection.Role}").ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>
    /// Routes one connection's messages to the loop in order, up to <see cref="MaxInFlight"/> of them queued at once:
    /// the loop's queue keeps their order, and one turn handles many of them with one store write. With one at a time,
    /// a framework acknowledging a launch got one acknowledgement into each turn. Past the limit the connection stops
    /// reading (back-pressure through the transport), so no peer can flood the master.
    /// </summary>
    private sealed class Session(MasterEngine master, IMessageConnection connection, bool isAgent) : IMessageHandler
    {
        private const int MaxInFlight = 256;

        private readonly SemaphoreSlim _slots = new(MaxInFlight, MaxInFlight);

        public ValueTask OnMessageAsync(MessageContext context) =>
            _slots.Wait(0) ? Queue(context) : QueueWhenFreeAsync(context);

        private async ValueTask QueueWhenFreeAsync(MessageContext context)
        {
            await _slots.WaitAsync().ConfigureAwait(false);
            await Queue(context).ConfigureAwait(false);
        }

        private ValueTask Queue(MessageContext context)
        {
            var done = master.PostAndWaitAsync(() =>
            {
                if (isAgent) master.OnAgentMessage(context);
                else master.OnFrameworkMessage(context);
            });
            _ = CompleteAsync(done, context);
            return ValueTask.CompletedTask;
        }

        private async Task CompleteAsync(Task done, MessageContext context)
        {
            try
            {
                await done.ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // The master is stopping.
            }
            catch (MasterUnavailableException e)
            {
                // The store is failing: nothing of the message was applied. The connection stays (no reconnect storm);
                // an agent's unacknowledged updates are sent again, a registration is retried after the peer's backoff.
                try
                {
                    await context.ReplyAsync(new ErrorMessage { Code = ErrorCode.Unavailable, Message = e.Message }).ConfigureAwait(false);
                }
                catch (Exception closed) when (closed is IOException or InvalidOperationException or ObjectDisposedException)
                {
                    // The peer is gone meanwhile.
                }
            }
            finally
            {
                _slots.Release();
            }
        }

        public void OnClosed(IMessageConnection c, CloseReason reason)
        {
            if (isAgent) master.Post(() => master.OnAgentDisconnected(connection, reason));
            else master.Post(() => master.OnFrameworkDisconnected(connection, reason));
        }
    }

    /// <summary>
    /// Queues a message for a connection once the step's store writes succeed (<see cref="CommitAsync"/>); a peer that
    /// stopped reading is then closed rather than allowed to stall the master.
    /// </summary>
    private void Send(IMessageConnection? connection, DcOsMessage message)
    {
        if (connection is not null) _outbox.Add((connection, message));
    }

    /// <summary>Answers a request, once the step's store writes succeed, in order with the step's other sends.</summary>
    private void Reply(MessageContext request, DcOsMessage answer) => _outbox.Add((request.Connection, request.AnswerWith(answer)));

    private void Refuse(MessageContext request, ErrorCode code, string reason)
    {
        MasterLog.Refused(_logger, request.Body.GetType().Name, request.Connection.Principal, reason);
        Reply(request, new ErrorMessage { Code = code, Message = reason });
    }

    // ---- queries ----

    public IMasterWatch Watch(int capacity = 65_536) => _events.Watch(capacity);

    public Task<IReadOnlyList<AgentView>> GetAgentsAsync() => InvokeAsync<IReadOnlyList<AgentView>>(() =>
        [.. _agents.All.OrderBy(a => a.Id.Value, StringComparer.Ordinal).Select(AgentViewOf)]);

    private static AgentView AgentViewOf(AgentState a)
    {
        var used = Resources.Empty;
        var active = 0;
        foreach (var t in a.TaskList)
        {
            if (!t.State.IsTerminal())
            {
                active++;
                used = used.Add(t.Spec.Resources);
            }
        }
        return new AgentView(a.Info, a.Status, used, OfferBook.OfferedOn(a), active, a.IsolationWarning, a.RegisteredAt);
    }

    public Task<IReadOnlyList<FrameworkView>> GetFrameworksAsync() => InvokeAsync<IReadOnlyList<FrameworkView>>(() =>
        [.. _frameworks.All.OrderBy(f => f.Id.Value, StringComparer.Ordinal).Select(f => new FrameworkView(
            f.Info,
            f.Connection is not null,
            f.Tasks.Values.Count(t => !t.State.IsTerminal()),
            f.Offers.Count,
            f.Handle >= 0 && _allocator.IsSuppressed(f.Handle),
            RejectionsOf(f),
            f.Handle >= 0 ? _allocator.Shares(f.Handle, f.PrimaryRole).FrameworkShare : 0))]);

    private static Dictionary<PlacementReason, long> RejectionsOf(FrameworkState f)
    {
        var counts = new Dictionary<PlacementReason, long>();
        for (var i = 0; i < f.Rejections.Length; i++)
        {
            if (f.Rejections[i] > 0) counts[(PlacementReason)i] = f.Rejections[i];
        }
        return counts;
    }

    public Task<IReadOnlyList<TaskView>> GetTasksAsync() => InvokeAsync<IReadOnlyList<TaskView>>(() =>
        [.. _frameworks.All.SelectMany(f => f.Tasks.Values).Select(t => new TaskView(t.FrameworkId, t.AgentId, t.Spec, t.Status, t.StartedAt))]);

    public Task<IReadOnlyDictionary<PlacementReason, long>> GetRejectionCountsAsync(FrameworkId frameworkId) =>
        InvokeAsync<IReadOnlyDictionary<PlacementReason, long>>(() =>
            _frameworks.TryGet(frameworkId, out var f) ? RejectionsOf(f) : new Dictionary<PlacementReason, long>());

    public async Task<TaskLog> ReadTaskLogAsync(FrameworkId frameworkId, TaskId taskId, string file = "stdout", long offset = -65536, int length = 65536)
    {
        var connection = await InvokeAsync(() =>
        {
            if (!_frameworks.TryGet(frameworkId, out var f) || !f.Tasks.TryGetValue(taskId, out var t))
                throw new KeyNotFoundException($"no task {taskId} in framework {frameworkId}");
            if (!_agents.TryGet(t.AgentId, out var a) || a.Connection is null)
                throw new KeyNotFoundException($"the agent {t.AgentId} of task {taskId} is not connected");
            return a.Connection;
        }).ConfigureAwait(false);
        var answer = await connection.RequestAsync(new ReadTaskLog { FrameworkId = frameworkId, TaskId = taskId, File = file, Offset = offset, Length = length }, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return answer switch
        {
            TaskLogChunk chunk => new TaskLog(chunk.Data, chunk.Offset, chunk.FileSize),
            ErrorMessage error => throw new KeyNotFoundException(error.Message),
            _ => throw new InvalidOperationException($"the agent answered {answer.GetType().Name}"),
        };
    }

    public async Task<IReadOnlyList<TaskUsageView>> GetTaskUsageAsync(AgentId agentId)
    {
        var connection = await InvokeAsync(() =>
            _agents.TryGet(agentId, out var a) && a.Connection is { } c ? c : throw new KeyNotFoundException($"the agent {agentId} is not connected")).ConfigureAwait(false);
        var answer = await connection.RequestAsync(new GetTaskUsage(), TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return answer switch
        {
            TaskUsageReport report => [.. report.Tasks.Select(u => new TaskUsageView(u.FrameworkId, u.TaskId, u.CpuSeconds, u.MemoryBytes, new DateTimeOffset(u.TimestampTicks, TimeSpan.Zero)))],
            ErrorMessage error => throw new KeyNotFoundException(error.Message),
            _ => throw new InvalidOperationException($"the agent answered {answer.GetType().Name}"),
        };
    }
}
