using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private async ValueTask OnFrameworkMessageAsync(MessageContext context)
    {
        var connection = context.Connection;
        var body = context.Body;
        if (body is SubscribeFramework subscribe)
        {
            await SubscribeAsync(context, subscribe).ConfigureAwait(false);
            return;
        }
        if (_frameworks.Of(connection) is not { } fw)
        {
            await RefuseAsync(context, ErrorCode.NotSubscribed, "subscribe first").ConfigureAwait(false);
            return;
        }
        switch (body)
        {
            case Accept accept:
                await AcceptAsync(fw, accept).ConfigureAwait(false);
                break;
            case Decline decline:
                Decline(fw, decline.OfferIds, RefuseDuration(decline.RefuseSeconds), decline.Reasons);
                break;
            case Revive revive:
                _allocator.Revive(fw.Handle, revive.Roles);
                _fullRoundDue = true;
                break;
            case Suppress suppress:
                _allocator.Suppress(fw.Handle, suppress.Roles);
                break;
            case KillTask kill:
                await KillAsync(fw, kill.TaskId).ConfigureAwait(false);
                break;
            case Reconcile reconcile:
                Reconcile(fw, reconcile);
                break;
            case StatusUpdateAck ack:
                RelayAcknowledgement(fw, ack);
                break;
            case FrameworkMessage relay:
                if (_agents.TryGet(relay.AgentId, out var agent)) Send(agent.Connection, new FrameworkMessage { FrameworkId = fw.Id, AgentId = relay.AgentId, ExecutorId = relay.ExecutorId, Data = relay.Data });
                break;
            case PlaceTasks place:
                try
                {
                    await PlaceTasksAsync(context, fw, place).ConfigureAwait(false);
                }
                catch (ValidationException e)
                {
                    await RefuseAsync(context, ErrorCode.Invalid, e.Message).ConfigureAwait(false);
                }
                break;
            case Teardown:
                await RemoveFrameworkAsync(fw, "teardown").ConfigureAwait(false);
                await connection.CloseAsync("framework torn down").ConfigureAwait(false);
                break;
            default:
                await RefuseAsync(context, ErrorCode.Unsupported, $"a framework may not send {body.GetType().Name}").ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask SubscribeAsync(MessageContext request, SubscribeFramework subscribe)
    {
        var connection = request.Connection;
        FrameworkInfo info;
        try
        {
            info = (subscribe.Framework ?? throw new ValidationException("framework", "is required")).Validate();
        }
        catch (ValidationException e)
        {
            await RefuseAsync(request, ErrorCode.Invalid, e.Message).ConfigureAwait(false);
            return;
        }
        if (!info.Id.IsEmpty && _frameworks.WasRemoved(info.Id))
        {
            await RefuseAsync(request, ErrorCode.FrameworkRemoved, $"framework {info.Id} was removed (failover timeout or teardown); subscribe without an id").ConfigureAwait(false);
            return;
        }
        // The principal is the one the transport authenticated, whatever the FrameworkInfo says.
        info = info with { Principal = connection.Principal };
        FrameworkState fw = null!;
        var failover = !info.Id.IsEmpty && _frameworks.TryGet(info.Id, out fw);
        if (failover && fw.Info.Principal is { } owner && owner != connection.Principal)
        {
            await RefuseAsync(request, ErrorCode.Unauthorized, $"framework {info.Id} belongs to principal '{owner}'; '{connection.Principal}' may not subscribe with its id").ConfigureAwait(false);
            return;
        }
        if (failover)
        {
            fw.FailoverTimer?.Dispose();
            fw.FailoverTimer = null;
            // Offers made to the old scheduler instance are void.
            foreach (var offer in fw.Offers.Values.ToList()) _offers.Recover(offer);
            fw.Info = info;
        }
        else
        {
            if (info.Id.IsEmpty) info = info with { Id = new FrameworkId($"{_runId}-{++_nextFramework:D4}") };
            fw = _frameworks.Add(info, Now);
        }
        _frameworks.Attach(fw, connection);
        await _frameworks.SaveAsync(fw).ConfigureAwait(false);
        MasterLog.FrameworkSubscribed(_logger, fw.Id.Value, fw.Info.Name, failover ? " (failover)" : "");
        await request.ReplyAsync(new FrameworkSubscribed { FrameworkId = fw.Id }).ConfigureAwait(false);
        _events.Publish(MasterEventKind.FrameworkSubscribed, frameworkId: fw.Id, detail: failover ? "failover" : null);
        _fullRoundDue = true;
    }

    private async ValueTask OnFrameworkDisconnectedAsync(IMessageConnection connection, CloseReason reason)
    {
        if (_frameworks.Detach(connection) is not { } fw || fw.Removed) return;
        foreach (var offer in fw.Offers.Values.ToList()) _offers.Recover(offer);
        MasterLog.FrameworkDisconnected(_logger, fw.Id.Value, fw.Info.FailoverTimeout);
        if (fw.Info.FailoverTimeout <= TimeSpan.Zero)
        {
            await RemoveFrameworkAsync(fw, "disconnected with a failover timeout of 0").ConfigureAwait(false);
            return;
        }
        StartFailoverTimer(fw, fw.Info.FailoverTimeout);
        // Only once the failover timer is armed: a watcher (a test) may move its clock at once, and a timer armed after
        // that would count from the later time.
        _events.Publish(MasterEventKind.FrameworkDisconnected, frameworkId: fw.Id);
    }

    private void StartFailoverTimer(FrameworkState fw, TimeSpan timeout)
    {
        fw.FailoverTimer?.Dispose();
        fw.FailoverTimer = _time.CreateTimer(_ => Post(async () =>
        {
            if (fw.Connection is null && !fw.Removed) await RemoveFrameworkAsync(fw, $"did not reconnect within its failover timeout of {timeout.TotalSeconds:0.###} s").ConfigureAwait(false);
        }), null, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Removes a framework: its offers are rescinded, its tasks killed on their agents, and it can no longer subscribe
    /// with its id. Updates its agents still send are acknowledged by the master.
    /// </summary>
    private async Task RemoveFrameworkAsync(FrameworkState fw, string reason)
    {
        if (fw.Removed) return;
        MasterLog.FrameworkRemoved(_logger, fw.Id.Value, reason);
        foreach (var offer in fw.Offers.Values.ToList()) _offers.Recover(offer);
        foreach (var task in await _tasks.RemoveFrameworkAsync(fw).ConfigureAwait(false))
        {
            if (_agents.TryGet(task.AgentId, out var agent)) Send(agent.Connection, new KillTask { FrameworkId = fw.Id, TaskId = task.Id, AgentId = agent.Id });
        }
        await _frameworks.RemoveAsync(fw).ConfigureAwait(false);
        _events.Publish(MasterEventKind.FrameworkRemoved, frameworkId: fw.Id, detail: reason);
    }

    private void RelayAcknowledgement(FrameworkState fw, StatusUpdateAck ack)
    {
        var agentId = ack.AgentId;
        if (agentId.IsEmpty && fw.Tasks.TryGetValue(ack.TaskId, out var task)) agentId = task.AgentId;
        if (_agents.TryGet(agentId, out var agent))
            Send(agent.Connection, new StatusUpdateAck { FrameworkId = fw.Id, AgentId = agentId, TaskId = ack.TaskId, UpdateId = ack.UpdateId });
    }

    private async ValueTask KillAsync(FrameworkState fw, TaskId taskId)
    {
        if (!fw.Tasks.TryGetValue(taskId, out var task))
        {
            var state = fw.PartitionAware ? TaskState.Unknown : TaskState.Lost;
            Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = Status(taskId, state, TaskStatusReason.Reconciliation, default, "kill of a task the master does not know") });
            return;
        }
        if (task.State.IsTerminal())
        {
            Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = task.Status with { UpdateId = Guid.Empty, Reason = TaskStatusReason.Reconciliation } });
            return;
        }
        if (task.State == TaskState.Staging && (!_agents.TryGet(task.AgentId, out var stagingAgent) || stagingAgent.Connection is null))
        {
            await UpdateTaskAsync(fw, task, Status(task.Id, TaskState.Killed, TaskStatusReason.TaskKilled, task.AgentId, "killed before it reached the agent"), notify: true).ConfigureAwait(false);
            return;
        }
        if (_agents.TryGet(task.AgentId, out var agent)) Send(agent.Connection, new KillTask { FrameworkId = fw.Id, TaskId = taskId, AgentId = agent.Id });
    }

    public Task KillTaskAsync(FrameworkId frameworkId, TaskId taskId) => PostAndWaitAsync(async () =>
    {
        if (!_frameworks.TryGet(frameworkId, out var fw) || !fw.Tasks.ContainsKey(taskId))
            throw new KeyNotFoundException($"no task {taskId} in framework {frameworkId}");
        await KillAsync(fw, taskId).ConfigureAwait(false);
    });

    /// <summary>
    /// Mesos' reconciliation: explicit (listed tasks) answers each with its latest state, or, for a task the master
    /// does not know, TASK_LOST (TASK_GONE if partition-aware) when its agent is known and TASK_UNKNOWN (TASK_LOST if
    /// not partition-aware) otherwise; implicit (empty list) answers every non-terminal task. Every answer carries
    /// REASON_RECONCILIATION and needs no acknowledgement.
    /// </summary>
    private void Reconcile(FrameworkState fw, Reconcile reconcile)
    {
        if (reconcile.Tasks.Count == 0)
        {
            foreach (var task in fw.Tasks.Values)
            {
                if (!task.State.IsTerminal()) SendReconciled(fw, task.Status);
            }
            return;
        }
        foreach (var item in reconcile.Tasks)
        {
            if (fw.Tasks.TryGetValue(item.TaskId, out var task))
            {
                SendReconciled(fw, task.Status);
                continue;
            }
            var agentKnown = !item.AgentId.IsEmpty && _agents.TryGet(item.AgentId, out var agent) && agent.Status != AgentStatus.Unreachable;
            var agentUnreachable = !item.AgentId.IsEmpty && _agents.TryGet(item.AgentId, out var a2) && a2.Status == AgentStatus.Unreachable;
            var state = agentKnown
                ? fw.PartitionAware ? TaskState.Gone : TaskState.Lost
                : agentUnreachable
                    ? fw.PartitionAware ? TaskState.Unreachable : TaskState.Lost
                    : fw.PartitionAware ? TaskState.Unknown : TaskState.Lost;
            SendReconciled(fw, Status(item.TaskId, state, TaskStatusReason.Reconciliation, item.AgentId, "reconciliation: the master does not know this task"));
        }
    }

    private void SendReconciled(FrameworkState fw, TaskStatusUpdate status) =>
        Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = status with { UpdateId = Guid.Empty, Reason = TaskStatusReason.Reconciliation, Timestamp = Now } });
}
