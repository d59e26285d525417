using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private async ValueTask OnFrameworkMessageAsync(IMessageConnection connection, DcOsMessage message)
    {
        var body = message is Request { Body: { } inner } ? inner : message;
        if (body is SubscribeFramework subscribe)
        {
            await SubscribeAsync(connection, message, subscribe).ConfigureAwait(false);
            return;
        }
        if (!_frameworkByConnection.TryGetValue(connection, out var fw))
        {
            await RefuseAsync(connection, message, ErrorCode.NotSubscribed, "subscribe first").ConfigureAwait(false);
            return;
        }
        switch (body)
        {
            case Accept accept:
                await AcceptAsync(fw, accept).ConfigureAwait(false);
                break;
            case Decline decline:
                Decline(fw, decline.OfferIds, decline.RefuseSeconds, decline.Reasons);
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
                if (_agents.TryGetValue(relay.AgentId, out var agent)) Send(agent.Connection, new FrameworkMessage { FrameworkId = fw.Id, AgentId = relay.AgentId, ExecutorId = relay.ExecutorId, Data = relay.Data });
                break;
            case PlaceTasks place:
                try
                {
                    await PlaceTasksAsync(connection, message, fw, place).ConfigureAwait(false);
                }
                catch (ValidationException e)
                {
                    await RefuseAsync(connection, message, ErrorCode.Invalid, e.Message).ConfigureAwait(false);
                }
                break;
            case Teardown:
                await RemoveFrameworkAsync(fw, "teardown").ConfigureAwait(false);
                await connection.CloseAsync("framework torn down").ConfigureAwait(false);
                break;
            default:
                await RefuseAsync(connection, message, ErrorCode.Unsupported, $"a framework may not send {body.GetType().Name}").ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask SubscribeAsync(IMessageConnection connection, DcOsMessage request, SubscribeFramework subscribe)
    {
        FrameworkInfo info;
        try
        {
            info = (subscribe.Framework ?? throw new ValidationException("framework", "is required")).Validate();
        }
        catch (ValidationException e)
        {
            await RefuseAsync(connection, request, ErrorCode.Invalid, e.Message).ConfigureAwait(false);
            return;
        }
        if (!info.Id.IsEmpty && _removedFrameworks.Contains(info.Id))
        {
            await RefuseAsync(connection, request, ErrorCode.FrameworkRemoved, $"framework {info.Id} was removed (failover timeout or teardown); subscribe without an id").ConfigureAwait(false);
            return;
        }
        var failover = !info.Id.IsEmpty && _frameworks.ContainsKey(info.Id);
        FrameworkState fw;
        if (failover)
        {
            fw = _frameworks[info.Id];
            fw.FailoverTimer?.Dispose();
            fw.FailoverTimer = null;
            if (fw.Connection is { } old && !ReferenceEquals(old, connection))
            {
                _frameworkByConnection.Remove(old);
                _ = old.CloseAsync("framework failed over to a new connection");
            }
            // Offers made to the old scheduler instance are void.
            foreach (var offer in fw.Offers.Values.ToList()) RescindOffer(offer, notify: false);
            fw.Info = info;
        }
        else
        {
            if (info.Id.IsEmpty) info = info with { Id = new FrameworkId($"{_runId}-{++_nextFramework:D4}") };
            fw = AddFramework(info, Now);
        }
        fw.Connection = connection;
        _frameworkByConnection[connection] = fw;
        if (failover)
        {
            _connectedSinceDrop.Add(fw.Id);
            if (_connectWaiters.Remove(fw.Id, out var connected)) connected.TrySetResult();
        }
        _allocator.SetFrameworkActive(fw.Handle, true);
        await _store.SaveFrameworkAsync(new FrameworkRecord(fw.Info, fw.RegisteredAt)).ConfigureAwait(false);
        MasterLog.FrameworkSubscribed(_logger, fw.Id.Value, fw.Info.Name, failover ? " (failover)" : "");
        await ReplyAsync(connection, request, new FrameworkSubscribed { FrameworkId = fw.Id, HeartbeatIntervalMs = 15_000 }).ConfigureAwait(false);
        _fullRoundDue = true;
    }

    internal FrameworkState AddFramework(FrameworkInfo info, DateTimeOffset registeredAt)
    {
        var handle = _allocator.AddFramework(info.Id.Value, info.Roles, info.Capabilities.HasFlag(FrameworkCapabilities.GpuResources));
        var fw = new FrameworkState(info, handle, registeredAt);
        _frameworks[info.Id] = fw;
        while (_frameworksByHandle.Count <= handle) _frameworksByHandle.Add(null);
        _frameworksByHandle[handle] = fw;
        return fw;
    }

    private readonly Dictionary<FrameworkId, TaskCompletionSource> _disconnectWaiters = [];

    /// <summary>Completes when the master has handled the disconnection of the framework (tests, tools).</summary>
    internal Task WhenFrameworkDisconnectedAsync(FrameworkId id) => InvokeAsync(() =>
    {
        if (!_frameworks.TryGetValue(id, out var fw) || fw.Connection is null) return Task.CompletedTask;
        if (!_disconnectWaiters.TryGetValue(id, out var waiter))
            _disconnectWaiters[id] = waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return waiter.Task;
    }).Unwrap();

    /// <summary>The framework's live connection (tests, tools).</summary>
    internal Task<IMessageConnection?> FrameworkConnectionAsync(FrameworkId id) =>
        InvokeAsync(() => _frameworks.TryGetValue(id, out var fw) ? fw.Connection : null);

    private readonly Dictionary<FrameworkId, TaskCompletionSource> _connectWaiters = [];

    /// <summary>Completes when the framework is subscribed on a new connection after having been disconnected (tests, tools).</summary>
    internal Task WhenFrameworkConnectedAsync(FrameworkId id) => InvokeAsync(() =>
    {
        if (_connectedSinceDrop.Contains(id) && _frameworks.TryGetValue(id, out var fw) && fw.Connection is not null) return Task.CompletedTask;
        if (!_connectWaiters.TryGetValue(id, out var waiter))
            _connectWaiters[id] = waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return waiter.Task;
    }).Unwrap();

    /// <summary>Frameworks that re-subscribed after a disconnection and have stayed connected since.</summary>
    private readonly HashSet<FrameworkId> _connectedSinceDrop = [];

    private async ValueTask OnFrameworkDisconnectedAsync(IMessageConnection connection, CloseReason reason)
    {
        if (!_frameworkByConnection.Remove(connection, out var fw) || !ReferenceEquals(fw.Connection, connection)) return;
        fw.Connection = null;
        _connectedSinceDrop.Remove(fw.Id);
        try
        {
            if (fw.Removed) return;
            _allocator.SetFrameworkActive(fw.Handle, false);
            foreach (var offer in fw.Offers.Values.ToList()) RescindOffer(offer, notify: false);
            MasterLog.FrameworkDisconnected(_logger, fw.Id.Value, fw.Info.FailoverTimeout);
            if (fw.Info.FailoverTimeout <= TimeSpan.Zero)
            {
                await RemoveFrameworkAsync(fw, "disconnected with a failover timeout of 0").ConfigureAwait(false);
                return;
            }
            StartFailoverTimer(fw, fw.Info.FailoverTimeout);
        }
        finally
        {
            // Only once the disconnection is handled, failover timer armed: a waiter (a test) may move its clock at once,
            // and a timer armed after that would count from the later time.
            if (_disconnectWaiters.Remove(fw.Id, out var waiter)) waiter.TrySetResult();
        }
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
        fw.Removed = true;
        fw.FailoverTimer?.Dispose();
        foreach (var offer in fw.Offers.Values.ToList()) RescindOffer(offer, notify: false);
        foreach (var task in fw.Tasks.Values)
        {
            if (task.State.IsTerminal() || !_agents.TryGetValue(task.AgentId, out var agent)) continue;
            Send(agent.Connection, new KillTask { FrameworkId = fw.Id, TaskId = task.Id, AgentId = agent.Id });
            if (task.HoldsResources)
            {
                task.HoldsResources = false;
                _allocator.Recover(agent.Slot, fw.Handle, task.Role, task.Spec.Resources);
                _dirtySlots.Add(agent.Slot);
            }
        }
        _allocator.RemoveFramework(fw.Handle);
        _frameworksByHandle[fw.Handle] = null;
        fw.Handle = -1;
        _frameworks.Remove(fw.Id);
        _removedFrameworks.Add(fw.Id);
        await _store.RemoveFrameworkAsync(fw.Id).ConfigureAwait(false);
        foreach (var task in fw.Tasks.Values) await _store.RemoveTaskAsync(fw.Id, task.Id).ConfigureAwait(false);
        foreach (var agent in _agents.Values)
        {
            foreach (var key in agent.Tasks.Keys.Where(k => k.Item1 == fw.Id).ToList()) agent.Tasks.Remove(key);
        }
    }

    private void RelayAcknowledgement(FrameworkState fw, StatusUpdateAck ack)
    {
        var agentId = ack.AgentId;
        if (agentId.IsEmpty && fw.Tasks.TryGetValue(ack.TaskId, out var task)) agentId = task.AgentId;
        if (_agents.TryGetValue(agentId, out var agent))
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
        if (task.State == TaskState.Staging && (!_agents.TryGetValue(task.AgentId, out var stagingAgent) || stagingAgent.Connection is null))
        {
            await UpdateTaskAsync(fw, task, Status(task.Id, TaskState.Killed, TaskStatusReason.TaskKilled, task.AgentId, "killed before it reached the agent"), notify: true).ConfigureAwait(false);
            return;
        }
        if (_agents.TryGetValue(task.AgentId, out var agent)) Send(agent.Connection, new KillTask { FrameworkId = fw.Id, TaskId = taskId, AgentId = agent.Id });
    }

    public Task KillTaskAsync(FrameworkId frameworkId, TaskId taskId) => PostAndWaitAsync(async () =>
    {
        if (!_frameworks.TryGetValue(frameworkId, out var fw) || !fw.Tasks.ContainsKey(taskId))
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
            var agentKnown = !item.AgentId.IsEmpty && _agents.TryGetValue(item.AgentId, out var agent) && agent.Status != AgentStatus.Unreachable;
            var agentUnreachable = !item.AgentId.IsEmpty && _agents.TryGetValue(item.AgentId, out var a2) && a2.Status == AgentStatus.Unreachable;
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
