using System.Collections.Concurrent;
using System.Net;
using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Tests;

/// <summary>
/// A test double of the master, built from DcOs.Transport: accepts agent connections, answers registrations, records
/// every status update (raw and deduplicated by update id), acknowledges them unless told otherwise, and sends
/// RunTask/KillTask/requests to the connected agent. Tests await conditions on what it recorded, with a timeout.
/// </summary>
internal sealed class MasterDouble : IAsyncDisposable
{
    private readonly IConnectionListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly object _lock = new();
    private readonly List<StatusUpdate> _raw = [];
    private readonly List<StatusUpdate> _unique = [];
    private readonly HashSet<Guid> _seen = [];
    private readonly List<DcOsMessage> _registrations = [];
    private readonly List<long> _pongs = [];
    private readonly List<ErrorMessage> _errors = [];
    private readonly ConcurrentBag<IMessageConnection> _connections = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IMessageConnection? _agent;

    private MasterDouble(IConnectionListener listener)
    {
        _listener = listener;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public static async Task<MasterDouble> StartAsync(IDcOsTransport transport, EndPoint endPoint) =>
        new(await transport.ListenAsync(endPoint));

    public static Task<MasterDouble> StartTcpAsync() =>
        StartAsync(DcOsTransports.CreateTcp(), new IPEndPoint(IPAddress.Loopback, 0));

    public EndPoint EndPoint => _listener.LocalEndPoint;

    /// <summary>The id given to agents that register for the first time.</summary>
    public AgentId AssignedId { get; set; } = AgentId.New();

    /// <summary>Whether to acknowledge an update (default: all). Checked on every copy received.</summary>
    public Func<StatusUpdate, bool> ShouldAck { get; set; } = _ => true;

    /// <summary>When set, registrations are answered with this error instead.</summary>
    public ErrorMessage? RefuseWith { get; set; }

    /// <summary>Sent on the agent's connection right behind the registration answer, without waiting for anything.</summary>
    public RunTask? LaunchRightAfterRegistration { get; set; }

    public IMessageConnection? Agent => _agent;

    public IReadOnlyList<StatusUpdate> RawUpdates
    {
        get
        {
            lock (_lock) return [.. _raw];
        }
    }

    public IReadOnlyList<StatusUpdate> UniqueUpdates
    {
        get
        {
            lock (_lock) return [.. _unique];
        }
    }

    public IReadOnlyList<DcOsMessage> Registrations
    {
        get
        {
            lock (_lock) return [.. _registrations];
        }
    }

    public IReadOnlyList<long> Pongs
    {
        get
        {
            lock (_lock) return [.. _pongs];
        }
    }

    /// <summary>Errors the agent sent outside any request (a duplicate launch).</summary>
    public IReadOnlyList<ErrorMessage> Errors
    {
        get
        {
            lock (_lock) return [.. _errors];
        }
    }

    /// <summary>Deduplicated updates of one task, in arrival order.</summary>
    public List<TaskStatusUpdate> UpdatesOf(string taskId)
    {
        lock (_lock) return [.. _unique.Where(u => u.Status!.TaskId.Value == taskId).Select(u => u.Status!)];
    }

    public List<TaskState> StatesOf(string taskId) => [.. UpdatesOf(taskId).Select(s => s.State)];

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking whenever something arrives.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestTimeouts.Default);
        while (true)
        {
            Task changed;
            lock (_lock) changed = _changed.Task;
            if (condition()) return;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"timed out waiting for {what}; updates so far: {Describe()}");
            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                if (condition()) return;
                throw new TimeoutException($"timed out waiting for {what}; updates so far: {Describe()}");
            }
        }
    }

    /// <summary>Waits for the task's terminal update and returns its deduplicated updates.</summary>
    public async Task<List<TaskStatusUpdate>> TerminalAsync(string taskId, TimeSpan? timeout = null)
    {
        await WaitUntilAsync(() => UpdatesOf(taskId).Any(s => s.State.IsTerminal()), $"a terminal update of {taskId}", timeout);
        return UpdatesOf(taskId);
    }

    public Task WaitForStateAsync(string taskId, TaskState state, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => UpdatesOf(taskId).Any(s => s.State == state), $"{taskId} to be {state}", timeout);

    public async Task<T> RegistrationAsync<T>(int index = 0) where T : DcOsMessage
    {
        await WaitUntilAsync(() => Registrations.Count > index, $"registration #{index + 1}");
        return Assert.IsType<T>(Registrations[index]);
    }

    public async Task SendAsync(DcOsMessage message)
    {
        await WaitUntilAsync(() => _agent is not null, "an agent connection");
        await _agent!.SendAsync(message);
    }

    public async Task<DcOsMessage> RequestAsync(DcOsMessage body)
    {
        await WaitUntilAsync(() => _agent is not null, "an agent connection");
        return await _agent!.RequestAsync(body, TestTimeouts.Default);
    }

    public Task RunAsync(string frameworkId, TaskSpec spec) => SendAsync(new RunTask { FrameworkId = new FrameworkId(frameworkId), Task = spec });

    public Task KillAsync(string frameworkId, string taskId, long? graceMs = null) =>
        SendAsync(new KillTask { FrameworkId = new FrameworkId(frameworkId), TaskId = new TaskId(taskId), GracePeriodMs = graceMs });

    /// <summary>Acknowledges one update now (for tests that hold acknowledgements back).</summary>
    public void Ack(StatusUpdate update) =>
        _agent?.TrySend(new StatusUpdateAck { FrameworkId = update.FrameworkId, AgentId = update.Status!.AgentId, TaskId = update.Status.TaskId, UpdateId = update.Status.UpdateId });

    /// <summary>Drops the agent's connection (the agent reconnects and re-registers).</summary>
    public async Task DisconnectAgentAsync()
    {
        var agent = _agent;
        if (agent is not null) await agent.CloseAsync("test disconnects the agent");
    }

    private string Describe()
    {
        lock (_lock) return string.Join("; ", _unique.Select(u => $"{u.Status!.TaskId}:{u.Status.State}({u.Status.Reason}) {u.Status.Message}"));
    }

    private void Changed()
    {
        TaskCompletionSource old;
        lock (_lock)
        {
            old = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        old.TrySetResult();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (await _listener.AcceptAsync(_stop.Token) is { } connection)
            {
                _connections.Add(connection);
                connection.Start(MessageHandler.Create(OnMessageAsync, (c, _) =>
                {
                    if (ReferenceEquals(_agent, c)) _agent = null;
                    Changed();
                }));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async ValueTask OnMessageAsync(MessageContext context)
    {
        var connection = context.Connection;
        switch (context.Body)
        {
            case RegisterAgent or ReregisterAgent:
                lock (_lock) _registrations.Add(context.Body);
                if (RefuseWith is { } error)
                {
                    await context.ReplyAsync(error);
                    break;
                }
                var id = context.Body is ReregisterAgent { Agent: { } a } ? a.Id : AssignedId;
                _agent = connection;
                await context.ReplyAsync(new AgentRegistered { AgentId = id });
                if (LaunchRightAfterRegistration is { } run) connection.TrySend(run);
                break;
            case StatusUpdate update:
                lock (_lock)
                {
                    _raw.Add(update);
                    if (_seen.Add(update.Status!.UpdateId)) _unique.Add(update);
                }
                if (ShouldAck(update))
                {
                    connection.TrySend(new StatusUpdateAck { FrameworkId = update.FrameworkId, AgentId = update.Status!.AgentId, TaskId = update.Status.TaskId, UpdateId = update.Status.UpdateId });
                }
                break;
            case AgentPong pong:
                lock (_lock) _pongs.Add(pong.Sequence);
                break;
            case ErrorMessage agentError:
                lock (_lock) _errors.Add(agentError);
                break;
        }
        Changed();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var c in _connections) await c.CloseAsync("test over");
        await _listener.DisposeAsync();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
    }
}

internal static class TestTimeouts
{
    /// <summary>Generous: waits end as soon as the event happens; the timeout only bounds a broken test.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);
}
