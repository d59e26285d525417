using System.Text;
using DcOs.Agent.Internal.Linux;
using DcOs.Agent.Internal.Tasks;
using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Internal;

/// <summary>The agent's side of the master connection: (re-)registration, master messages, usage and log requests.</summary>
internal sealed partial class AgentRuntime
{
    /// <summary>
    /// Registers on a new connection. The request goes as a plain message and the master answers the same way, before
    /// anything else it sends on the connection; the answer is handled in <see cref="OnMessageAsync"/>, in order, so a
    /// RunTask right behind it always finds the agent registered with its id stored.
    /// </summary>
    private async Task OnConnectedAsync(IMessageConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var info = Info!;
            DcOsMessage request;
            int reported;
            if (_agentId.IsEmpty)
            {
                request = new RegisterAgent { Agent = info };
                reported = 0;
            }
            else
            {
                var tasks = ReportedTasks();
                reported = tasks.Count;
                request = new ReregisterAgent { Agent = info with { Id = _agentId }, Tasks = tasks, IsolationWarning = IsolationWarning };
            }
            var pending = new PendingRegistration(connection);
            _registration = pending;
            await connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
            DcOsMessage answer;
            try
            {
                answer = await pending.Answer.Task.WaitAsync(_options.RegistrationTimeout, connection.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the master did not answer the registration within {_options.RegistrationTimeout.TotalSeconds:0.###} s");
            }
            finally
            {
                Interlocked.CompareExchange(ref _registration, null, pending);
            }
            switch (answer)
            {
                case AgentRegistered:
                    AgentLog.Registered(_logger, connection.RemoteEndPoint?.ToString() ?? "?", _agentId.Value, reported);
                    break;
                case ErrorMessage error:
                    AgentLog.RegistrationRefused(_logger, $"{error.Code}: {error.Message}");
                    await connection.CloseAsync("registration refused").ConfigureAwait(false);
                    break;
                default:
                    AgentLog.RegistrationFailed(_logger, $"unexpected answer {answer.GetType().Name}");
                    await connection.CloseAsync("unexpected registration answer").ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever went wrong, close this connection: the connector then tries again after a backoff. An exception
            // escaping here would end the connector for good.
            AgentLog.RegistrationFailed(_logger, e.Message);
            await connection.CloseAsync("registration failed").ConfigureAwait(false);
        }
    }

    /// <summary>The master's answer to the registration pending on <paramref name="connection"/>, handled before the next message.</summary>
    private bool TryAnswerRegistration(IMessageConnection connection, DcOsMessage answer)
    {
        if (_registration is not { } pending || !ReferenceEquals(pending.Connection, connection)) return false;
        if (answer is AgentRegistered registered)
        {
            if (registered.AgentId.IsEmpty)
            {
                pending.Answer.TrySetResult(new ErrorMessage { Code = ErrorCode.Invalid, Message = "the master's answer has no agent id" });
                return true;
            }
            if (_agentId.IsEmpty)
            {
                WriteAgentId(registered.AgentId);
                _agentId = registered.AgentId;
            }
            // Kept before anything else happens on this connection: the next connection authenticates with it.
            if (registered.Token is { } token) SaveToken(token);
            else if (registered.AgentId != _agentId)
            {
                AgentLog.AgentIdMismatch(_logger, _agentId.Value, registered.AgentId.Value);
            }
            _registeredOn = connection;
            _updates!.Connected(connection);
            lock (_lock) _registered.TrySetResult();
        }
        pending.Answer.TrySetResult(answer);
        return true;
    }

    public ValueTask OnMessageAsync(MessageContext context)
    {
        var connection = context.Connection;
        var message = context.Message;
        switch (message)
        {
            case AgentRegistered or ErrorMessage when TryAnswerRegistration(connection, message):
                return ValueTask.CompletedTask;
            case RunTask run:
                return Run(run);
            case KillTask kill:
                Kill(kill);
                return ValueTask.CompletedTask;
            case StatusUpdateAck ack:
                if (!_updates!.Acknowledge(ack)) AgentLog.AckIgnored(_logger, ack.TaskId.Value ?? "", ack.UpdateId);
                return ValueTask.CompletedTask;
            case AgentPing ping:
                connection.TrySend(new AgentPong { Sequence = ping.Sequence });
                return ValueTask.CompletedTask;
            case Request { Body: GetTaskUsage usage }:
                return context.ReplyAsync(Usage(usage));
            case Request { Body: ReadTaskLog read }:
                return context.ReplyAsync(ReadLog(read));
            case Request request:
                return context.ReplyAsync(new ErrorMessage { Code = ErrorCode.Unsupported, Message = $"the agent does not answer {request.Body?.GetType().Name ?? "empty"} requests" });
            case ErrorMessage error:
                AgentLog.MasterError(_logger, error.Code, error.Message);
                return ValueTask.CompletedTask;
            default:
                AgentLog.UnexpectedMessage(_logger, message.GetType().Name);
                return ValueTask.CompletedTask;
        }
    }

    /// <summary>A registration sent on <see cref="Connection"/> and the answer it waits for.</summary>
    private sealed class PendingRegistration(IMessageConnection connection)
    {
        public IMessageConnection Connection { get; } = connection;

        public TaskCompletionSource<DcOsMessage> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void OnClosed(IMessageConnection connection, CloseReason reason)
    {
        if (!ReferenceEquals(_registeredOn, connection)) return;
        _registeredOn = null;
        _updates?.Disconnected(connection);
        lock (_lock)
        {
            if (_registered.Task.IsCompleted) _registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private List<RunningTask> ReportedTasks()
    {
        var result = new List<RunningTask>();
        var seen = new HashSet<(FrameworkId, TaskId)>();
        var streams = _updates!.Streams();
        var pending = streams.Where(s => s.Pending).Select(s => (s.Framework, s.Task)).ToHashSet();
        lock (_lock)
        {
            foreach (var task in _tasks.Values)
            {
                if (!task.IsActive && !pending.Contains((task.Framework, task.Id))) continue;
                seen.Add((task.Framework, task.Id));
                result.Add(new RunningTask { FrameworkId = task.Framework, TaskId = task.Id, State = task.State, Resources = task.Spec.Resources, Spec = task.Spec });
            }
        }
        foreach (var s in streams)
        {
            if (s.Pending && seen.Add((s.Framework, s.Task)))
                result.Add(new RunningTask { FrameworkId = s.Framework, TaskId = s.Task, State = s.Latest.State });
        }
        return result;
    }


    private TaskUsageReport Usage(GetTaskUsage request)
    {
        List<AgentTask> tasks;
        lock (_lock) tasks = [.. _tasks.Values.Where(t => t.IsActive && t.Pid != 0)];
        if (request.TaskIds.Count > 0)
        {
            var wanted = request.TaskIds.ToHashSet();
            tasks = [.. tasks.Where(t => wanted.Contains(t.Id))];
        }
        // One pass over /proc for all tasks (process-group memory and cpu), rather than one per task.
        Dictionary<int, (double, long)>? groups = null;
        if (tasks.Count > 0)
        {
            var pgids = tasks.Select(t => t.Pid).ToHashSet();
            groups = [];
            foreach (var pid in ProcFs.EnumerateProcessIds())
            {
                if (!ProcFs.TryReadStat(pid, out var stat) || !pgids.Contains(stat.ProcessGroup) || stat.State == 'Z') continue;
                var (cpu, mem) = groups.GetValueOrDefault(stat.ProcessGroup);
                groups[stat.ProcessGroup] = (cpu + (stat.UserTicks + stat.SystemTicks) / (double)ProcFs.TicksPerSecond, mem + stat.RssPages * Environment.SystemPageSize);
            }
        }
        var report = new TaskUsageReport();
        var now = _time.GetUtcNow().UtcTicks;
        foreach (var t in tasks)
        {
            if (t.Usage(groups) is not { } usage) continue;
            report.Tasks.Add(new TaskUsage { FrameworkId = t.Framework, TaskId = t.Id, CpuSeconds = usage.CpuSeconds, MemoryBytes = usage.MemoryBytes, TimestampTicks = now });
        }
        return report;
    }

    private DcOsMessage ReadLog(ReadTaskLog request)
    {
        if (request.FrameworkId.IsEmpty || request.TaskId.IsEmpty)
            return new ErrorMessage { Code = ErrorCode.Invalid, Message = "a framework id and a task id are required" };
        string path;
        try
        {
            path = _paths!.LogFile(request.FrameworkId, request.TaskId, request.File);
        }
        catch (ArgumentException e)
        {
            return new ErrorMessage { Code = ErrorCode.Invalid, Message = e.Message };
        }
        try
        {
            var chunk = TaskLogFiles.Read(path, request.Offset, request.Length);
            if (chunk is not { } c)
                return new ErrorMessage { Code = ErrorCode.NotFound, Message = $"no {request.File} for task {request.TaskId} of framework {request.FrameworkId} (unknown task, collected sandbox, or not a regular file)" };
            return new TaskLogChunk { Data = Encoding.UTF8.GetString(c.Data), Offset = c.Offset, FileSize = c.Size };
        }
        catch (IOException e)
        {
            return new ErrorMessage { Code = ErrorCode.IoError, Message = e.Message };
        }
    }
}
