using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private async ValueTask OnAgentMessageAsync(IMessageConnection connection, DcOsMessage message)
    {
        var body = message is Request { Body: { } inner } ? inner : message;
        switch (body)
        {
            case RegisterAgent register:
                await RegisterAgentAsync(connection, message, register).ConfigureAwait(false);
                return;
            case ReregisterAgent reregister:
                await ReregisterAgentAsync(connection, message, reregister).ConfigureAwait(false);
                return;
        }
        var agent = AgentOf(connection);
        if (agent is null)
        {
            await RefuseAsync(connection, message, ErrorCode.NotRegistered, "register first").ConfigureAwait(false);
            return;
        }
        switch (body)
        {
            case AgentPong pong:
                if (pong.Sequence == agent.PingSequence) agent.AwaitingPong = false;
                agent.MissedPings = 0;
                break;
            case StatusUpdate update:
                await OnStatusUpdateAsync(agent, update).ConfigureAwait(false);
                break;
            case FrameworkMessage relay:
                if (_frameworks.TryGetValue(relay.FrameworkId, out var fw)) Send(fw.Connection, new FrameworkMessage { FrameworkId = relay.FrameworkId, AgentId = agent.Id, ExecutorId = relay.ExecutorId, Data = relay.Data });
                break;
            case ErrorMessage error:
                // An agent refusing something outside a task's updates (a duplicate launch): logged, never answered.
                MasterLog.AgentError(_logger, agent.Id.Value, error.Code, error.Message);
                break;
            default:
                await RefuseAsync(connection, message, ErrorCode.Unsupported, $"an agent may not send {body.GetType().Name}").ConfigureAwait(false);
                break;
        }
    }

    private AgentState? AgentOf(IMessageConnection connection) => _agentByConnection.GetValueOrDefault(connection);

    private void Attach(AgentState agent, IMessageConnection? connection)
    {
        if (agent.Connection is { } old)
        {
            _agentByConnection.Remove(old);
            if (!ReferenceEquals(old, connection)) _ = old.CloseAsync("the agent connected again");
        }
        agent.Connection = connection;
        if (connection is not null) _agentByConnection[connection] = agent;
    }

    private async ValueTask RegisterAgentAsync(IMessageConnection connection, DcOsMessage request, RegisterAgent register)
    {
        AgentInfo info;
        try
        {
            info = (register.Agent ?? throw new ValidationException("agent", "is required")).Validate();
        }
        catch (ValidationException e)
        {
            await RefuseAsync(connection, request, ErrorCode.Invalid, e.Message).ConfigureAwait(false);
            return;
        }
        info = info with { Id = new AgentId($"{_runId}-S{++_nextAgent}") };
        var agent = AddAgent(info, Now);
        Attach(agent, connection);
        await _store.SaveAgentAsync(new AgentRecord(agent.Info, agent.Status, agent.RegisteredAt)).ConfigureAwait(false);
        MasterLog.AgentRegistered(_logger, info.Id.Value, info.Hostname, info.Resources.ToString());
        await ReplyAsync(connection, request, new AgentRegistered { AgentId = info.Id, HeartbeatIntervalMs = (long)_options.AgentPingTimeout.TotalMilliseconds }).ConfigureAwait(false);
        _dirtySlots.Add(agent.Slot);
    }

    internal AgentState AddAgent(AgentInfo info, DateTimeOffset registeredAt)
    {
        var slot = _allocator.AddAgent(info.Resources);
        var agent = new AgentState(info, slot, registeredAt);
        _agents[info.Id] = agent;
        while (_agentsBySlot.Count <= slot) _agentsBySlot.Add(null);
        _agentsBySlot[slot] = agent;
        return agent;
    }

    private async ValueTask ReregisterAgentAsync(IMessageConnection connection, DcOsMessage request, ReregisterAgent reregister)
    {
        AgentInfo info;
        try
        {
            info = (reregister.Agent ?? throw new ValidationException("agent", "is required")).Validate();
            if (info.Id.IsEmpty) throw new ValidationException("agent.id", "is required to re-register");
        }
        catch (ValidationException e)
        {
            await RefuseAsync(connection, request, ErrorCode.Invalid, e.Message).ConfigureAwait(false);
            return;
        }
        if (!_agents.TryGetValue(info.Id, out var agent))
        {
            // An agent the master does not know (its store was lost): take it in with its id and adopt its tasks.
            agent = AddAgent(info, Now);
        }
        else if (!agent.Info.Resources.Equals(info.Resources))
        {
            ResizeAgent(agent, info);
        }
        agent.Info = info;
        Attach(agent, connection);
        agent.IsolationWarning = reregister.IsolationWarning;
        agent.MissedPings = 0;
        agent.AwaitingPong = false;
        var wasUnreachable = agent.Status is AgentStatus.Unreachable or AgentStatus.Recovering;
        if (agent.Status is AgentStatus.Unreachable or AgentStatus.Recovering) agent.Status = AgentStatus.Active;
        _allocator.SetAgentUsable(agent.Slot, agent.Status == AgentStatus.Active);

        await ReconcileAgentTasksAsync(agent, reregister.Tasks, wasUnreachable).ConfigureAwait(false);
        await _store.SaveAgentAsync(new AgentRecord(agent.Info, agent.Status, agent.RegisteredAt)).ConfigureAwait(false);
        MasterLog.AgentReregistered(_logger, info.Id.Value, reregister.Tasks.Count);
        await ReplyAsync(connection, request, new AgentRegistered { AgentId = info.Id, HeartbeatIntervalMs = (long)_options.AgentPingTimeout.TotalMilliseconds }).ConfigureAwait(false);
        if (agent.Status == AgentStatus.Draining) await ContinueDrainAsync(agent).ConfigureAwait(false);
        _dirtySlots.Add(agent.Slot);
    }

    private void ResizeAgent(AgentState agent, AgentInfo info)
    {
        RescindOffers(agent, "the agent's resources changed");
        _allocator.RemoveAgent(agent.Slot);
        _agentsBySlot[agent.Slot] = null;
        agent.Slot = _allocator.AddAgent(info.Resources);
        while (_agentsBySlot.Count <= agent.Slot) _agentsBySlot.Add(null);
        _agentsBySlot[agent.Slot] = agent;
        foreach (var t in agent.TaskList)
        {
            if (t.HoldsResources && _frameworks.TryGetValue(t.FrameworkId, out var fw)) _allocator.AddAllocation(agent.Slot, fw.Handle, t.Role, t.Spec.Resources);
        }
    }

    /// <summary>
    /// Brings the master's view of a returning agent's tasks in line with what the agent reports, as Mesos does on
    /// re-registration: partition-aware tasks come back from unreachable, tasks the master gave up on are killed,
    /// tasks the agent no longer has are lost, and tasks of removed frameworks are killed.
    /// </summary>
    private async ValueTask ReconcileAgentTasksAsync(AgentState agent, List<RunningTask> reported, bool returning)
    {
        var seen = new HashSet<(FrameworkId, TaskId)>();
        foreach (var report in reported)
        {
            seen.Add((report.FrameworkId, report.TaskId));
            if (!_frameworks.TryGetValue(report.FrameworkId, out var fw) || fw.Removed)
            {
                if (!report.State.IsTerminal()) Send(agent.Connection, new KillTask { FrameworkId = report.FrameworkId, TaskId = report.TaskId, AgentId = agent.Id });
                continue;
            }
            if (!fw.Tasks.TryGetValue(report.TaskId, out var task))
            {
                if (report.Spec is null || report.State.IsTerminal()) continue;
                // Adopt a task the master has no record of (store lost); its resources count from now on.
                task = new TaskEntry(fw.Id, agent.Id, report.Spec, Status(report.TaskId, report.State, TaskStatusReason.Reconciliation, agent.Id, "adopted from the agent"), fw.PrimaryRole);
                fw.Tasks[task.Id] = task;
                agent.Tasks[(fw.Id, task.Id)] = task;
                _allocator.AddAllocation(agent.Slot, fw.Handle, task.Role, task.Spec.Resources);
                await _store.SaveTaskAsync(task.ToRecord()).ConfigureAwait(false);
                continue;
            }
            if (task.State.IsTerminal())
            {
                // The master already told the framework this task is gone (e.g. LOST while the agent was unreachable).
                if (!report.State.IsTerminal()) Send(agent.Connection, new KillTask { FrameworkId = fw.Id, TaskId = task.Id, AgentId = agent.Id });
                continue;
            }
            if (returning && task.State == TaskState.Unreachable && !report.State.IsTerminal())
            {
                await UpdateTaskAsync(fw, task, Status(task.Id, report.State, TaskStatusReason.Reconciliation, agent.Id, "the agent is reachable again"), notify: true).ConfigureAwait(false);
            }
        }
        foreach (var task in agent.TaskList.ToList())
        {
            if (task.State.IsTerminal() || seen.Contains((task.FrameworkId, task.Id))) continue;
            if (!_frameworks.TryGetValue(task.FrameworkId, out var fw)) continue;
            var state = fw.PartitionAware ? TaskState.Gone : TaskState.Lost;
            await UpdateTaskAsync(fw, task, Status(task.Id, state, TaskStatusReason.AgentRestarted, agent.Id, "the agent re-registered without this task"), notify: true).ConfigureAwait(false);
        }
    }

    private void OnAgentDisconnected(IMessageConnection connection, CloseReason reason)
    {
        var agent = AgentOf(connection);
        if (agent is null) return;
        Attach(agent, null);
        // Not unreachable yet: pings keep counting; a reconnect within the ping budget loses nothing.
    }

    private async ValueTask PingAgentsAsync()
    {
        foreach (var agent in _agents.Values.ToList())
        {
            if (agent.Status is AgentStatus.Unreachable or AgentStatus.Recovering) continue;
            if (agent.AwaitingPong || agent.Connection is null)
            {
                agent.MissedPings++;
                if (agent.MissedPings >= _options.MaxAgentPingTimeouts)
                {
                    await MarkUnreachableAsync(agent, $"missed {agent.MissedPings} pings ({_options.AgentPingTimeout.TotalSeconds:0.###} s each)").ConfigureAwait(false);
                    continue;
                }
            }
            if (agent.Connection is not null)
            {
                agent.PingSequence++;
                agent.AwaitingPong = true;
                Send(agent.Connection, new AgentPing { Sequence = agent.PingSequence });
            }
        }
    }

    /// <summary>
    /// An agent stops answering: it is not offered, its offers are rescinded, and its tasks become TASK_UNREACHABLE
    /// for partition-aware frameworks (they may come back) and TASK_LOST for the others.
    /// </summary>
    private async Task MarkUnreachableAsync(AgentState agent, string reason)
    {
        if (agent.Status == AgentStatus.Unreachable) return;
        MasterLog.AgentUnreachable(_logger, agent.Id.Value, reason);
        agent.Status = AgentStatus.Unreachable;
        _allocator.SetAgentUsable(agent.Slot, false);
        RescindOffers(agent, "agent unreachable");
        foreach (var task in agent.TaskList.ToList())
        {
            if (task.State.IsTerminal() || !_frameworks.TryGetValue(task.FrameworkId, out var fw)) continue;
            var state = fw.PartitionAware ? TaskState.Unreachable : TaskState.Lost;
            await UpdateTaskAsync(fw, task, Status(task.Id, state, TaskStatusReason.AgentUnreachable, agent.Id, "agent unreachable: " + reason), notify: true).ConfigureAwait(false);
        }
        foreach (var fw in _frameworks.Values) Send(fw.Connection, new AgentLost { AgentId = agent.Id, Reason = "unreachable: " + reason });
        await _store.SaveAgentAsync(new AgentRecord(agent.Info, agent.Status, agent.RegisteredAt)).ConfigureAwait(false);
    }

    public Task DrainAgentAsync(AgentId agentId, TimeSpan? gracePeriod = null) => PostAndWaitAsync(async () =>
    {
        if (!_agents.TryGetValue(agentId, out var agent)) throw new KeyNotFoundException($"no agent {agentId}");
        if (agent.Status is AgentStatus.Draining or AgentStatus.Drained) return;
        var grace = gracePeriod ?? _options.DrainGracePeriod;
        MasterLog.Draining(_logger, agentId.Value, grace);
        agent.Status = AgentStatus.Draining;
        agent.DrainGracePeriod = grace;
        _allocator.SetAgentUsable(agent.Slot, false);
        RescindOffers(agent, "agent draining");
        foreach (var task in agent.TaskList)
        {
            if (!task.State.IsTerminal()) Send(agent.Connection, new KillTask { FrameworkId = task.FrameworkId, TaskId = task.Id, AgentId = agent.Id, GracePeriodMs = (long)grace.TotalMilliseconds });
        }
        await _store.SaveAgentAsync(new AgentRecord(agent.Info, agent.Status, agent.RegisteredAt)).ConfigureAwait(false);
        await ContinueDrainAsync(agent).ConfigureAwait(false);
    });

    /// <summary>A draining agent with no active task left is drained.</summary>
    private async ValueTask ContinueDrainAsync(AgentState agent)
    {
        if (agent.Status != AgentStatus.Draining) return;
        if (agent.TaskList.Any(t => !t.State.IsTerminal())) return;
        agent.Status = AgentStatus.Drained;
        await _store.SaveAgentAsync(new AgentRecord(agent.Info, agent.Status, agent.RegisteredAt)).ConfigureAwait(false);
    }

    public Task ReactivateAgentAsync(AgentId agentId) => PostAndWaitAsync(async () =>
    {
        if (!_agents.TryGetValue(agentId, out var agent)) throw new KeyNotFoundException($"no agent {agentId}");
        if (agent.Status is not (AgentStatus.Draining or AgentStatus.Drained)) return;
        agent.Status = AgentStatus.Active;
        agent.DrainGracePeriod = null;
        _allocator.SetAgentUsable(agent.Slot, agent.Connection is not null);
        _dirtySlots.Add(agent.Slot);
        await _store.SaveAgentAsync(new AgentRecord(agent.Info, agent.Status, agent.RegisteredAt)).ConfigureAwait(false);
    });
}
