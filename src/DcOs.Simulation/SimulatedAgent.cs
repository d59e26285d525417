using DcOs.Core;
using DcOs.Simulation.Internal;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Simulation;

/// <summary>
/// One simulated agent of a <see cref="ClusterSimulator"/>: it registers (and re-registers with its tasks, as the real
/// agent does after a disconnection), answers pings, runs tasks by their <see cref="SimulatedTaskBehavior"/>, and
/// delivers their status updates with the real agent's semantics without its disk: one stream per task, only the oldest
/// unacknowledged update in flight, resent with exponential backoff until the acknowledgement comes back through the
/// master, every stream's head resent at once on re-registration. A test drives its failures: <see cref="CrashAsync"/>,
/// <see cref="RestartAsync"/>, <see cref="Partition"/>, <see cref="Heal"/>, <see cref="RemoveAsync"/>.
/// </summary>
public sealed class SimulatedAgent : IMessageHandler
{
    private readonly object _lock = new();
    private readonly ClusterSimulator _cluster;
    private readonly IDcOsTransport _transport;
    private readonly Dictionary<(FrameworkId, TaskId), TaskRun> _tasks = [];
    // Used under the lock only: update ids and jitter from one seeded source keep a fake-clock run reproducible.
    private readonly Random _random;
    private readonly Backoff _reconnect;
    private readonly TaskCompletionSource _firstRegistration = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IMessageConnection? _connection;
    private bool _registeredOnConnection;
    private SimulatedAgentState _state = SimulatedAgentState.Disconnected;
    private bool _partitioned;
    private Resources _allocated = Resources.Empty;
    private string? _token;
    private int _nextMaster;
    private long _attempt;

    internal SimulatedAgent(ClusterSimulator cluster, int index, AgentInfo info)
    {
        _cluster = cluster;
        Index = index;
        Info = info;
        var options = cluster.Options;
        _transport = options.Transports[index % options.Transports.Count];
        _random = new Random(unchecked(options.Seed * 1_000_003 + index));
        _reconnect = new Backoff(TimeSpan.FromSeconds(1), options.ReconnectMaxDelay, 2, _random);
    }

    /// <summary>The agent's place in <see cref="ClusterSimulator.Agents"/>.</summary>
    public int Index { get; }

    /// <summary>What it registers with; <see cref="AgentInfo.Id"/> is set once a master registered it.</summary>
    public AgentInfo Info { get; private set; }

    /// <summary>The id its master gave it (empty before the first registration).</summary>
    public AgentId Id => Info.Id;

    /// <summary>Where it stands with its master now.</summary>
    public SimulatedAgentState State
    {
        get
        {
            lock (_lock) return _partitioned && _state is not (SimulatedAgentState.Crashed or SimulatedAgentState.Removed) ? SimulatedAgentState.Partitioned : _state;
        }
    }

    /// <summary>The tasks it holds: running ones, and ended ones whose last updates are not acknowledged yet.</summary>
    public IReadOnlyList<SimulatedTask> Tasks
    {
        get
        {
            lock (_lock) return [.. _tasks.Values.Select(t => new SimulatedTask(t.Framework, t.Id, t.State, t.Pending.Count))];
        }
    }

    /// <summary>Completes when the agent is registered (at once if it is).</summary>
    public Task WhenRegisteredAsync()
    {
        lock (_lock) return _state == SimulatedAgentState.Registered && !_partitioned ? Task.CompletedTask : _registered.Task;
    }

    /// <summary>The agent process dies: its connection drops at once; its tasks go on running (and ending) unseen until <see cref="RestartAsync"/>.</summary>
    public async Task CrashAsync()
    {
        IMessageConnection? connection;
        lock (_lock)
        {
            if (_state is SimulatedAgentState.Crashed or SimulatedAgentState.Removed) return;
            connection = LeaveConnection(SimulatedAgentState.Crashed);
        }
        if (connection is not null) await connection.CloseAsync("simulated agent crash").ConfigureAwait(false);
    }

    /// <summary>A crashed agent starts again: it re-registers with its tasks and resends what is unacknowledged. Completes once registered.</summary>
    public Task RestartAsync()
    {
        lock (_lock)
        {
            if (_state != SimulatedAgentState.Crashed) throw new InvalidOperationException($"agent {Info.Hostname} is {_state}; only a crashed agent restarts");
            _state = SimulatedAgentState.Disconnected;
        }
        Connect();
        return WhenRegisteredAsync();
    }

    /// <summary>
    /// Cuts the agent off: every message either way is lost (the connection stays up, as in a network partition, until
    /// the master gives up on it); no reconnection until <see cref="Heal"/>.
    /// </summary>
    public void Partition()
    {
        lock (_lock)
        {
            if (_state is SimulatedAgentState.Crashed or SimulatedAgentState.Removed) throw new InvalidOperationException($"agent {Info.Hostname} is {_state}");
            _partitioned = true;
        }
    }

    /// <summary>Ends a partition: traffic flows again; an agent whose connection the master closed meanwhile reconnects and re-registers.</summary>
    public void Heal()
    {
        bool reconnect;
        lock (_lock)
        {
            if (!_partitioned) return;
            _partitioned = false;
            reconnect = _connection is null && _state is not (SimulatedAgentState.Crashed or SimulatedAgentState.Removed);
            if (_state == SimulatedAgentState.Registered) _registered.TrySetResult();
        }
        if (reconnect) Connect();
    }

    /// <summary>The machine is gone for good: the connection closes and never comes back; its tasks are gone with it.</summary>
    public async Task RemoveAsync()
    {
        IMessageConnection? connection;
        lock (_lock)
        {
            if (_state == SimulatedAgentState.Removed) return;
            connection = LeaveConnection(SimulatedAgentState.Removed);
            foreach (var task in _tasks.Values)
            {
                if (task.HoldsResources) Interlocked.Decrement(ref _cluster.Stats.TasksActive);
                Interlocked.Add(ref _cluster.Stats.UpdatesLost, task.Pending.Count);
            }
            _tasks.Clear();
        }
        _cluster.CheckAllAcknowledged();
        if (connection is not null) await connection.CloseAsync("simulated agent removed").ConfigureAwait(false);
    }

    /// <summary>Ends a task as if its process exited with <paramref name="exitCode"/>; false when the agent holds no such running task.</summary>
    public bool ExitTask(FrameworkId framework, TaskId task, int exitCode)
    {
        lock (_lock)
        {
            if (!_tasks.TryGetValue((framework, task), out var run) || run.State.IsTerminal()) return false;
            Exited(run, exitCode);
            return true;
        }
    }

    /// <summary>Starts one connection attempt to the next master (nothing when connected, cut off, crashed or removed).</summary>
    internal void Connect()
    {
        long attempt;
        System.Net.EndPoint master;
        ClientCredentials credentials;
        lock (_lock)
        {
            if (_state is SimulatedAgentState.Crashed or SimulatedAgentState.Removed || _partitioned || _connection is not null || _state == SimulatedAgentState.Connecting) return;
            _state = SimulatedAgentState.Connecting;
            attempt = ++_attempt;
            master = _cluster.Options.Masters[_nextMaster];
            // As the real agent: once the master issued a token, the agent authenticates with it.
            credentials = _token is { } token ? ClientCredentials.FromToken(token, PeerRole.Agent) : _cluster.Options.Credentials(Info);
        }
        _ = ConnectAsync(attempt, master, credentials);
    }

    internal Task FirstRegistration => _firstRegistration.Task;

    /// <summary>Two round trips: see <see cref="ClusterSimulator.SyncAsync"/>.</summary>
    internal async Task SyncAsync(CancellationToken cancellationToken)
    {
        IMessageConnection? connection;
        lock (_lock) connection = _registeredOnConnection && !_partitioned ? _connection : null;
        if (connection is null) return;
        try
        {
            await connection.RequestAsync(new Heartbeat(), TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
            await connection.RequestAsync(new Heartbeat(), TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection closed meanwhile: nothing of this agent is left to wait for.
        }
    }

    internal async Task StopAsync()
    {
        IMessageConnection? connection;
        lock (_lock) connection = LeaveConnection(SimulatedAgentState.Removed);
        if (connection is not null) await connection.CloseAsync("simulator stopped").ConfigureAwait(false);
    }

    private async Task ConnectAsync(long attempt, System.Net.EndPoint master, ClientCredentials credentials)
    {
        IMessageConnection connection;
        try
        {
            connection = await _transport.ConnectAsync(master, credentials, _cluster.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_cluster.Stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            TimeSpan delay;
            lock (_lock)
            {
                if (attempt != _attempt || _state != SimulatedAgentState.Connecting) return;
                _state = SimulatedAgentState.Disconnected;
                delay = NextMasterDelay();
            }
            SimulatorLog.ConnectFailed(_cluster.Logger, Info.Hostname, master.ToString() ?? "?", e.Message, (long)delay.TotalMilliseconds);
            _cluster.Clock.After(delay, Connect);
            return;
        }
        DcOsMessage? request = null;
        lock (_lock)
        {
            if (attempt == _attempt && _state == SimulatedAgentState.Connecting)
            {
                _connection = connection;
                _registeredOnConnection = false;
                request = Id.IsEmpty ? new RegisterAgent { Agent = Info } : new ReregisterAgent { Agent = Info, Tasks = ReportedTasks() };
            }
        }
        if (request is null)
        {
            // Crashed, removed or cut off while connecting: this connection is not wanted.
            await connection.CloseAsync("simulated agent is down").ConfigureAwait(false);
            return;
        }
        connection.Start(this);
        connection.TrySend(request);
        _cluster.Clock.After(_cluster.Options.RegistrationTimeout, () =>
        {
            bool late;
            lock (_lock) late = ReferenceEquals(_connection, connection) && !_registeredOnConnection;
            if (late) _ = connection.CloseAsync($"the master did not answer the registration within {_cluster.Options.RegistrationTimeout.TotalSeconds:0.###} s");
        });
    }

    // Under the lock: the next master at once while some of the list is untried, a backoff once it went round.
    private TimeSpan NextMasterDelay()
    {
        _nextMaster = (_nextMaster + 1) % _cluster.Options.Masters.Count;
        return _nextMaster == 0 ? _reconnect.Next() : TimeSpan.Zero;
    }

    // Under the lock: forgets the connection (returned, for the caller to close outside the lock) and enters the state.
    private IMessageConnection? LeaveConnection(SimulatedAgentState state)
    {
        var connection = _connection;
        _connection = null;
        _registeredOnConnection = false;
        _state = state;
        if (_registered.Task.IsCompleted) _registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return connection;
    }

    ValueTask IMessageHandler.OnMessageAsync(MessageContext context)
    {
        var connection = context.Connection;
        lock (_lock)
        {
            if (_partitioned)
            {
                Interlocked.Increment(ref _cluster.Stats.MessagesDropped);
                return ValueTask.CompletedTask;
            }
        }
        switch (context.Message)
        {
            case AgentRegistered registered:
                OnRegistered(connection, registered);
                break;
            case ErrorMessage error when OnRefused(connection, error):
                break;
            case RunTask run:
                Run(connection, run);
                break;
            case KillTask kill:
                Kill(kill);
                break;
            case StatusUpdateAck ack:
                Acknowledge(ack);
                break;
            case AgentPing ping:
                Send(connection, new AgentPong { Sequence = ping.Sequence });
                break;
            case Request { Body: GetTaskUsage usage }:
                // Simulated tasks use nothing: the master's usage view gets a zero sample per task.
                var now = _cluster.Clock.Now.UtcTicks;
                return context.ReplyAsync(new TaskUsageReport { Tasks = [.. usage.TaskIds.Select(id => new TaskUsage { TaskId = id, TimestampTicks = now })] });
            case Request request:
                return context.ReplyAsync(new ErrorMessage { Code = ErrorCode.Unsupported, Message = $"a simulated agent does not answer {request.Body?.GetType().Name ?? "empty"} requests" });
            case ErrorMessage error:
                SimulatorLog.MasterError(_cluster.Logger, Info.Hostname, error.Code.ToString(), error.Message ?? "");
                break;
        }
        return ValueTask.CompletedTask;
    }

    void IMessageHandler.OnClosed(IMessageConnection connection, CloseReason reason)
    {
        TimeSpan delay;
        lock (_lock)
        {
            if (!ReferenceEquals(_connection, connection)) return;
            Interlocked.Increment(ref _cluster.Stats.Disconnects);
            // A connection that got as far as a registration starts the backoff over, as the real agent's stable connection.
            if (_registeredOnConnection) _reconnect.Reset();
            LeaveConnection(SimulatedAgentState.Disconnected);
            // Cut off: the agent cannot reach anyone until the partition heals (Heal reconnects).
            if (_partitioned) return;
            delay = NextMasterDelay();
        }
        _cluster.Clock.After(delay, Connect);
    }

    private void OnRegistered(IMessageConnection connection, AgentRegistered registered)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_connection, connection) || _registeredOnConnection || registered.AgentId.IsEmpty) return;
            var first = Id.IsEmpty;
            // A re-registration keeps the agent's own id, as the real agent keeps the one in its work directory.
            if (first) Info = Info with { Id = registered.AgentId };
            if (registered.Token is { } token) _token = token;
            _registeredOnConnection = true;
            _state = SimulatedAgentState.Registered;
            Interlocked.Increment(ref first ? ref _cluster.Stats.Registrations : ref _cluster.Stats.Reregistrations);
            foreach (var task in _tasks.Values)
            {
                task.Backoff.Reset();
                SendHead(task);
            }
            _registered.TrySetResult();
        }
        _firstRegistration.TrySetResult();
    }

    private bool OnRefused(IMessageConnection connection, ErrorMessage error)
    {
        bool never;
        lock (_lock)
        {
            if (!ReferenceEquals(_connection, connection) || _registeredOnConnection) return false;
            never = Id.IsEmpty && !_firstRegistration.Task.IsCompleted;
            // Refused before it ever registered: the agent gives up (its AddAgentAsync fails); a refused re-registration retries.
            if (never) LeaveConnection(SimulatedAgentState.Removed);
        }
        var reason = $"{error.Code}: {error.Message}";
        SimulatorLog.RegistrationRefused(_cluster.Logger, Info.Hostname, reason);
        if (never) _firstRegistration.TrySetException(new InvalidOperationException($"the master refused simulated agent {Info.Hostname}: {reason}"));
        _ = connection.CloseAsync("registration refused");
        return true;
    }

    private void Run(IMessageConnection connection, RunTask run)
    {
        if (run.Task is not { } spec || run.FrameworkId.IsEmpty || spec.Id.IsEmpty) return;
        SimulatedTaskBehavior behavior;
        try
        {
            behavior = _cluster.Options.TaskBehavior(spec).Validate();
        }
        catch (Exception e)
        {
            behavior = SimulatedTaskBehavior.FailToStart("the simulator's TaskBehavior failed: " + e.Message);
        }
        lock (_lock)
        {
            if (!ReferenceEquals(_connection, connection)) return;
            var key = (run.FrameworkId, spec.Id);
            if (_tasks.ContainsKey(key))
            {
                Send(connection, new ErrorMessage { Code = ErrorCode.DuplicateTask, Message = $"task {spec.Id} of framework {run.FrameworkId} is already known on this agent; the second launch is ignored" });
                return;
            }
            var task = new TaskRun(run.FrameworkId, spec, new Backoff(_cluster.Options.StatusUpdateRetryInitial, _cluster.Options.StatusUpdateRetryMax, 2, _random));
            _tasks.Add(key, task);
            var need = spec.Resources.Flatten();
            var free = Info.Resources.Flatten().Subtract(_allocated);
            if (!need.FitsIn(free))
            {
                Interlocked.Increment(ref _cluster.Stats.TasksRefused);
                Emit(task, TaskState.Dropped, TaskStatusReason.AgentRefused, TaskStatusSource.Agent, $"needs {need} but only {free} is free");
                return;
            }
            _allocated = _allocated.Add(need);
            task.HoldsResources = true;
            Interlocked.Increment(ref _cluster.Stats.TasksLaunched);
            Interlocked.Increment(ref _cluster.Stats.TasksActive);
            Emit(task, TaskState.Starting, TaskStatusReason.None, TaskStatusSource.Executor, null);
            if (behavior.StartFailure is { } failure)
            {
                Finish(task, TaskState.Failed, TaskStatusReason.CommandFailedToStart, TaskStatusSource.Agent, failure);
                return;
            }
            if (behavior.StartupDelay <= TimeSpan.Zero) Emit(task, TaskState.Running, TaskStatusReason.None, TaskStatusSource.Executor, null);
            else _cluster.Clock.After(behavior.StartupDelay, () => Started(task));
            if (behavior.RunFor is { } runFor)
            {
                _cluster.Clock.After(behavior.StartupDelay + runFor, () =>
                {
                    lock (_lock)
                    {
                        if (IsLive(task)) Exited(task, behavior.ExitCode);
                    }
                });
            }
        }
    }

    private void Started(TaskRun task)
    {
        lock (_lock)
        {
            if (IsLive(task) && task.State == TaskState.Starting) Emit(task, TaskState.Running, TaskStatusReason.None, TaskStatusSource.Executor, null);
        }
    }

    // Under the lock: the task is still this agent's and not ended (the agent may have been removed meanwhile).
    private bool IsLive(TaskRun task) =>
        _state != SimulatedAgentState.Removed && !task.State.IsTerminal() && _tasks.TryGetValue((task.Framework, task.Id), out var current) && ReferenceEquals(current, task);

    // Under the lock.
    private void Exited(TaskRun task, int exitCode)
    {
        if (exitCode == 0) Finish(task, TaskState.Finished, TaskStatusReason.CommandExited, TaskStatusSource.Executor, "exited with status 0", exitCode: 0);
        else Finish(task, TaskState.Failed, TaskStatusReason.CommandExited, TaskStatusSource.Executor, $"exited with status {exitCode}", exitCode: exitCode);
    }

    private void Kill(KillTask kill)
    {
        lock (_lock)
        {
            // As the real agent: a kill of a task it does not run is logged there and changes nothing.
            if (!_tasks.TryGetValue((kill.FrameworkId, kill.TaskId), out var task) || task.State.IsTerminal()) return;
            Finish(task, TaskState.Killed, TaskStatusReason.TaskKilled, TaskStatusSource.Executor, "killed by request", signal: 15);
        }
    }

    // Under the lock.
    private void Finish(TaskRun task, TaskState state, TaskStatusReason reason, TaskStatusSource source, string message, int? exitCode = null, int? signal = null)
    {
        if (task.HoldsResources)
        {
            _allocated = _allocated.Subtract(task.Spec.Resources.Flatten());
            task.HoldsResources = false;
            Interlocked.Decrement(ref _cluster.Stats.TasksActive);
        }
        Emit(task, state, reason, source, message, exitCode, signal);
    }

    // Under the lock: the update joins the task's stream; it goes out when it is the stream's head.
    private void Emit(TaskRun task, TaskState state, TaskStatusReason reason, TaskStatusSource source, string? message, int? exitCode = null, int? signal = null)
    {
        Span<byte> id = stackalloc byte[16];
        _random.NextBytes(id);
        task.State = state;
        task.Pending.Enqueue(new StatusUpdate
        {
            FrameworkId = task.Framework,
            Status = new TaskStatusUpdate
            {
                TaskId = task.Id,
                State = state,
                Reason = reason,
                Source = source,
                Message = message,
                ExitCode = exitCode,
                Signal = signal,
                Timestamp = _cluster.Clock.Now,
                UpdateId = new Guid(id),
                AgentId = Id,
            },
        });
        Interlocked.Increment(ref _cluster.Stats.UpdatesEmitted);
        if (task.Pending.Count == 1) SendHead(task);
    }

    // Under the lock: sends the stream's head (or loses it to a partition) and arms its resend.
    private void SendHead(TaskRun task)
    {
        if (!task.Pending.TryPeek(out var head)) return;
        if (_partitioned && _connection is not null)
        {
            Interlocked.Increment(ref _cluster.Stats.MessagesDropped);
        }
        else if (_connection is { } connection && _registeredOnConnection)
        {
            connection.TrySend(head);
            Interlocked.Increment(ref _cluster.Stats.UpdatesSent);
            for (var i = 0; i < _cluster.Options.DuplicateUpdates; i++)
            {
                connection.TrySend(head);
                Interlocked.Increment(ref _cluster.Stats.DuplicatesInjected);
            }
        }
        else
        {
            // Not registered: the next registration resends every head.
            return;
        }
        var generation = ++task.RetryGeneration;
        _cluster.Clock.After(task.Backoff.Next(), () =>
        {
            lock (_lock)
            {
                if (generation != task.RetryGeneration || _state == SimulatedAgentState.Removed) return;
                Interlocked.Increment(ref _cluster.Stats.UpdatesResent);
                SendHead(task);
            }
        });
    }

    private void Acknowledge(StatusUpdateAck ack)
    {
        lock (_lock)
        {
            if (!_tasks.TryGetValue((ack.FrameworkId, ack.TaskId), out var task)) return;
            // Only the head's acknowledgement counts; a stale or duplicated one changes nothing.
            if (!task.Pending.TryPeek(out var head) || head.Status!.UpdateId != ack.UpdateId) return;
            task.Pending.Dequeue();
            _cluster.Acknowledged();
            task.RetryGeneration++;
            task.Backoff.Reset();
            if (task.Pending.Count > 0) SendHead(task);
            else if (task.State.IsTerminal()) _tasks.Remove((task.Framework, task.Id));
        }
    }

    private void Send(IMessageConnection connection, DcOsMessage message)
    {
        lock (_lock)
        {
            if (_partitioned)
            {
                Interlocked.Increment(ref _cluster.Stats.MessagesDropped);
                return;
            }
        }
        connection.TrySend(message);
    }

    // Under the lock: what a re-registration reports, as the real agent: every live task and every one with updates pending.
    private List<RunningTask> ReportedTasks() =>
        [.. _tasks.Values.Where(t => !t.State.IsTerminal() || t.Pending.Count > 0)
            .Select(t => new RunningTask { FrameworkId = t.Framework, TaskId = t.Id, State = t.State, Resources = t.Spec.Resources, Spec = t.Spec })];

    /// <summary>A task on this agent and its update stream.</summary>
    private sealed class TaskRun(FrameworkId framework, TaskSpec spec, Backoff backoff)
    {
        public FrameworkId Framework { get; } = framework;

        public TaskSpec Spec { get; } = spec;

        public TaskId Id => Spec.Id;

        public Backoff Backoff { get; } = backoff;

        public Queue<StatusUpdate> Pending { get; } = new();

        public TaskState State { get; set; } = TaskState.Staging;

        public bool HoldsResources { get; set; }

        /// <summary>Bumped by every send and acknowledgement: a resend armed before it finds a newer number and does nothing.</summary>
        public long RetryGeneration { get; set; }
    }
}
