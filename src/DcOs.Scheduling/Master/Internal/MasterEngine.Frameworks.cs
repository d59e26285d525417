using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private void OnFrameworkMessage(MessageContext context)
    {
        var connection = context.Connection;
        var body = context.Body;
        if (body is SubscribeFramework subscribe)
        {
            Subscribe(context, subscribe);
            return;
        }
        if (_frameworks.Of(connection) is not { } fw)
        {
            Refuse(context, ErrorCode.NotSubscribed, "subscribe first");
            return;
        }
        switch (body)
        {
            case Accept accept:
                Accept(fw, accept);
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
                Kill(fw, kill.TaskId);
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
                    PlaceTasks(context, fw, place);
                }
                catch (ValidationException e)
                {
                    Refuse(context, ErrorCode.Invalid, e.Message);
                }
                break;
            case Teardown:
                RemoveFramework(fw, "teardown");
                _ = connection.CloseAsync("framework torn down");
                break;
            default:
                Refuse(context, ErrorCode.Unsupported, $"a framework may not send {body.GetType().Name}");
                break;
        }
    }

    private void Subscribe(MessageContext request, SubscribeFramework subscribe)
    {
        var connection = request.Connection;
        FrameworkInfo info;
        try
        {
            info = (subscribe.Framework ?? throw new ValidationException("framework", "is required")).Validate();
        }
        catch (ValidationException e)
        {
            Refuse(request, ErrorCode.Invalid, e.Message);
            return;
        }
        if (!info.Id.IsEmpty && _frameworks.WasRemoved(info.Id))
        {
            Refuse(request, ErrorCode.FrameworkRemoved, $"framework {info.Id} was removed (failover timeout or teardown); subscribe without an id");
            return;
        }
        // The principal is the one the transport authenticated, whatever the FrameworkInfo says.
        info = info with { Principal = connection.Principal };
        FrameworkState fw = null!;
        var failover = !info.Id.IsEmpty && _frameworks.TryGet(info.Id, out fw);
        if (failover && fw.Info.Principal is { } owner && owner != connection.Principal)
        {
            Refuse(request, ErrorCode.Unauthorized, $"framework {info.Id} belongs to principal '{owner}'; '{connection.Principal}' may not subscribe with its id");
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
        _frameworks.Save(fw);
        MasterLog.FrameworkSubscribed(_logger, fw.Id.Value, fw.Info.Name, failover ? " (failover)" : "");
        Reply(request, new FrameworkSubscribed { FrameworkId = fw.Id, Billing = _options.Billing });
        _events.Publish(MasterEventKind.FrameworkSubscribed, frameworkId: fw.Id, detail: failover ? "failover" : null);
        _fullRoundDue = true;
    }

    private void OnFrameworkDisconnected(IMessageConnection connection, CloseReason reason)
    {
        if (_frameworks.Detach(connection) is not { } fw || fw.Removed) return;
        foreach (var offer in fw.Offers.Values.ToList()) _offers.Recover(offer);
        MasterLog.FrameworkDisconnected(_logger, fw.Id.Value, fw.Info.FailoverTimeout);
        if (fw.Info.FailoverTimeout <= TimeSpan.Zero)
        {
            RemoveFramework(fw, "disconnected with a failover timeout of 0");
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
        var epoch = _epoch;
        fw.FailoverTimer = _time.CreateTimer(_ => PostForEpoch(epoch, () =>
        {
            if (fw.Connection is null && !fw.Removed) RemoveFramework(fw, $"did not reconnect within its failover timeout of {timeout.TotalSeconds:0.###} s");
        }), null, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Removes a framework: its offers are rescinded, its tasks killed on their agents, and it can no longer subscribe
    /// with its id. Updates its agents still send are acknowledged by the master.
    /// </summary>
    private void RemoveFramework(FrameworkState fw, string reason)
    {
        if (fw.Removed) return;
        MasterLog.FrameworkRemoved(_logger, fw.Id.Value, reason);
        foreach (var offer in fw.Offers.Values.ToList()) _offers.Recover(offer);
        foreach (var task in _tasks.RemoveFramework(fw))
        {
            if (_agents.TryGet(task.AgentId, out var agent)) Send(agent.Connection, new KillTask { FrameworkId = fw.Id, TaskId = task.Id, AgentId = agent.Id });
        }
        _frameworks.Remove(fw);
        _events.Publish(MasterEventKind.FrameworkRemoved, frameworkId: fw.Id, detail: reason);
    }

    private void RelayAcknowledgement(FrameworkState fw, StatusUpdateAck ack)
    {
        var agentId = ack.AgentId;
        if (agentId.IsEmpty && fw.Tasks.TryGetValue(ack.TaskId, out var task)) agentId = task.AgentId;
        if (_agents.TryGet(agentId, out var agent))
            Send(agent.Connection, new StatusUpdateAck { FrameworkId = fw.Id, AgentId = agentId, TaskId = ack.TaskId, UpdateId = ack.UpdateId });
    }

    private void Kill(FrameworkState fw, TaskId taskId)
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
            UpdateTask(fw, task, Status(task.Id, TaskState.Killed, TaskStatusReason.TaskKilled, task.AgentId, "killed before it reached the agent"), notify: true);
            return;
        }
        if (_agents.TryGet(task.AgentId, out var agent)) Send(agent.Connection, new KillTask { FrameworkId = fw.Id, TaskId = taskId, AgentId = agent.Id });
    }

    public Task KillTaskAsync(FrameworkId frameworkId, TaskId taskId) => PostAndWaitAsync(() =>
    {
        if (!_frameworks.TryGet(frameworkId, out var fw) || !fw.Tasks.ContainsKey(taskId))
            throw new KeyNotFoundException($"no task {taskId} in framework {frameworkId}");
        Kill(fw, taskId);
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
