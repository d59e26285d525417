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
/// </summary>
internal sealed partial class MasterEngine : IMaster
{
    private readonly MasterOptions _options;
    private readonly IDcOsTransport _transport;
    private readonly IMasterStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HierarchicalAllocator _allocator;
    private readonly IPlacementOptimizer? _optimizer;
    private readonly Channel<WorkItem> _work = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly AgentTable _agents;
    private readonly FrameworkTable _frameworks;
    private readonly OfferBook _offers;
    private readonly TaskTable _tasks;
    private readonly MasterEvents _events;
    private readonly MasterMetrics _metrics;
    private readonly List<AllocationDecision> _decisions = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
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
        _allocator = new HierarchicalAllocator(new Dictionary<string, double>(options.RoleWeights), new Dictionary<string, RoleQuota>(options.RoleQuotas));
        _agents = new AgentTable(_allocator, store);
        _frameworks = new FrameworkTable(_allocator, store);
        var frameworks = _frameworks;
        _allocator.OnRejected = (handle, reason) =>
        {
            if (frameworks.WithHandle(handle) is { } fw) fw.Rejections[(int)reason]++;
        };
        _offers = new OfferBook(_allocator, _runId);
        _events = new MasterEvents(time);
        _metrics = new MasterMetrics(time, () => InvokeAsync(() =>
        {
            _metrics!.Refresh(_agents, _frameworks);
            return 0;
        }), meters);
        _tasks = new TaskTable(_allocator, store, _agents, _events, options.CompletedTasksPerFramework);
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
        _pingTimer = _time.CreateTimer(_ => Post(PingAgentsAsync), null, _options.AgentPingTimeout, _options.AgentPingTimeout);
        MasterLog.Started(_logger, _listener.LocalEndPoint.ToString()!, state.Agents.Count, state.Frameworks.Count, state.Tasks.Count);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _allocationTimer?.Dispose();
        _pingTimer?.Dispose();
        _reregisterTimer?.Dispose();
        if (_listener is not null) await _listener.DisposeAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
        var connections = new List<IMessageConnection>();
        await InvokeAsync(() =>
        {
            foreach (var fw in _frameworks.All)
            {
                fw.FailoverTimer?.Dispose();
                if (fw.Connection is { } c) connections.Add(c);
            }
            foreach (var agent in _agents.All)
            {
                if (agent.Connection is { } c) connections.Add(c);
            }
            return 0;
        }).ConfigureAwait(false);
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

    private readonly record struct WorkItem(Func<ValueTask> Action, TaskCompletionSource? Done);

    /// <summary>Queues work for the loop (timers, connection closes).</summary>
    private void Post(Action action) => _work.Writer.TryWrite(new WorkItem(() =>
    {
        action();
        return ValueTask.CompletedTask;
    }, null));

    /// <summary>Queues asynchronous work for the loop; it is awaited there before the next item runs.</summary>
    private void Post(Func<ValueTask> action) => _work.Writer.TryWrite(new WorkItem(action, null));

    /// <summary>Queues work and waits for it; connection handlers use this, so each connection has one item in flight.</summary>
    private Task PostAndWaitAsync(Func<ValueTask> action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_work.Writer.TryWrite(new WorkItem(action, done))) done.TrySetException(new ObjectDisposedException("the master is stopped"));
        return done.Task;
    }

    /// <summary>
    /// Runs <paramref name="query"/> on the loop and returns its result. A query sees the effect of everything queued
    /// before it, including the allocation that work made due (the offers it sent), as if the loop had finished its turn.
    /// </summary>
    private async Task<T> InvokeAsync<T>(Func<T> query)
    {
        T result = default!;
        await PostAndWaitAsync(async () =>
        {
            await AllocateIfDueAsync().ConfigureAwait(false);
            result = query();
        }).ConfigureAwait(false);
        return result;
    }

    private async Task RunLoopAsync()
    {
        var reader = _work.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    await item.Action().ConfigureAwait(false);
                    item.Done?.TrySetResult();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    MasterLog.WorkFailed(_logger, e);
                    item.Done?.TrySetException(e);
                }
            }
            await AllocateIfDueAsync().ConfigureAwait(false);
        }
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

    /// <summary>Routes one connection's messages to the loop, one at a time, in order.</summary>
    private sealed class Session(MasterEngine master, IMessageConnection connection, bool isAgent) : IMessageHandler
    {
        public async ValueTask OnMessageAsync(MessageContext context)
        {
            try
            {
                await master.PostAndWaitAsync(() => isAgent ? master.OnAgentMessageAsync(context) : master.OnFrameworkMessageAsync(context)).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // The master is stopping.
            }
        }

        public void OnClosed(IMessageConnection c, CloseReason reason)
        {
            if (isAgent) master.Post(() => master.OnAgentDisconnected(connection, reason));
            else master.Post(() => master.OnFrameworkDisconnectedAsync(connection, reason));
        }
    }

    /// <summary>Queues a message on a connection; a peer that stopped reading is closed rather than allowed to stall the master.</summary>
    private void Send(IMessageConnection? connection, DcOsMessage message)
    {
        if (connection is null) return;
        if (!connection.TrySend(message))
        {
            MasterLog.SlowPeer(_logger, connection.ToString() ?? connection.Id);
            _ = connection.CloseAsync("send queue full: the peer is not reading fast enough");
        }
    }

    private ValueTask RefuseAsync(MessageContext request, ErrorCode code, string reason)
    {
        MasterLog.Refused(_logger, request.Body.GetType().Name, request.Connection.Principal, reason);
        return request.ReplyAsync(new ErrorMessage { Code = code, Message = reason });
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
}
