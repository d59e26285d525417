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
            var answer = await connection.RequestAsync(request, _options.RegistrationTimeout, cancellationToken).ConfigureAwait(false);
            switch (answer)
            {
                case AgentRegistered registered when !registered.AgentId.IsEmpty:
                    if (_agentId.IsEmpty)
                    {
                        WriteAgentId(registered.AgentId);
                        _agentId = registered.AgentId;
                    }
                    else if (registered.AgentId != _agentId)
                    {
                        AgentLog.AgentIdMismatch(_logger, _agentId.Value, registered.AgentId.Value);
                    }
                    _idKnown.TrySetResult();
                    _registeredOn = connection;
                    _updates!.Connected(connection);
                    AgentLog.Registered(_logger, connection.RemoteEndPoint?.ToString() ?? "?", _agentId.Value, reported);
                    lock (_lock) _registered.TrySetResult();
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

    public ValueTask OnMessageAsync(IMessageConnection connection, DcOsMessage message)
    {
        switch (message)
        {
            case RunTask run:
                return _agentId.IsEmpty ? RunAfterRegistrationAsync(run) : Run(run);
            case KillTask kill:
                Kill(kill);
                return ValueTask.CompletedTask;
            case StatusUpdateAck ack:
                if (!_updates!.Acknowledge(ack)) AgentLog.AckIgnored(_logger, ack.TaskId.Value ?? "", ack.UpdateId);
                return ValueTask.CompletedTask;
            case AgentPing ping:
                connection.TrySend(new AgentPong { Sequence = ping.Sequence });
                return ValueTask.CompletedTask;
            case Request { Body: GetTaskUsage usage } request:
                return connection.ReplyAsync(request, Usage(usage));
            case Request { Body: ReadTaskLog read } request:
                return connection.ReplyAsync(request, ReadLog(read));
            case Request request:
                return connection.ReplyAsync(request, new ErrorMessage { Code = ErrorCode.Unsupported, Message = $"the agent does not answer {request.Body?.GetType().Name ?? "empty"} requests" });
            case ErrorMessage error:
                AgentLog.MasterError(_logger, error.Code, error.Message);
                return ValueTask.CompletedTask;
            default:
                AgentLog.UnexpectedMessage(_logger, message.GetType().Name);
                return ValueTask.CompletedTask;
        }
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
