using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private async ValueTask OnAgentMessageAsync(MessageContext context)
    {
        var connection = context.Connection;
        var body = context.Body;
        switch (body)
        {
            case RegisterAgent register:
                await RegisterAgentAsync(context, register).ConfigureAwait(false);
                return;
            case ReregisterAgent reregister:
                await ReregisterAgentAsync(context, reregister).ConfigureAwait(false);
                return;
        }
        var agent = _agents.Of(connection);
        if (agent is null)
        {
            await RefuseAsync(context, ErrorCode.NotRegistered, "register first").ConfigureAwait(false);
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
                if (_frameworks.TryGet(relay.FrameworkId, out var fw)) Send(fw.Connection, new FrameworkMessage { FrameworkId = relay.FrameworkId, AgentId = agent.Id, ExecutorId = relay.ExecutorId, Data = relay.Data });
                break;
            case ErrorMessage error:
                // An agent refusing something outside a task's updates (a duplicate launch): logged, never answered.
                MasterLog.AgentError(_logger, agent.Id.Value, error.Code, error.Message);
                break;
            default:
                await RefuseAsync(context, ErrorCode.Unsupported, $"an agent may not send {body.GetType().Name}").ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask RegisterAgentAsync(MessageContext request, RegisterAgent register)
    {
        var connection = request.Connection;
        AgentInfo info;
        try
        {
            info = (register.Agent ?? throw new ValidationException("agent", "is required")).Validate();
        }
        catch (ValidationException e)
        {
            await RefuseAsync(request, ErrorCode.Invalid, e.Message).ConfigureAwait(false);
            return;
        }
        if (_options.ClusterSecret is not null && connection.Principal != ClusterSecret.JoinPrincipal)
        {
            await RefuseAsync(request, ErrorCode.Unauthorized, $"principal '{connection.Principal}' may not add agents: new agents join with the cluster's join token").ConfigureAwait(false);
            return;
        }
        info = info with { Id = new AgentId($"{_runId}-S{++_nextAgent}") };
        var agent = _agents.Add(info, Now);
        _agents.Attach(agent, connection);
        await _agents.SaveAsync(agent).ConfigureAwait(false);
        MasterLog.AgentRegistered(_logger, info.Id.Value, info.Hostname, info.Resources.ToString());
        await request.ReplyAsync(new AgentRegistered { AgentId = info.Id, Token = _options.ClusterSecret?.AgentCredentials(info.Id).ToToken() }).ConfigureAwait(false);
        _events.Publish(MasterEventKind.AgentAdded, agentId: info.Id);
    }

    private async ValueTask ReregisterAgentAsync(MessageContext request, ReregisterAgent reregister)
    {
        var connection = request.Connection;
        AgentInfo info;
        try
        {
            info = (reregister.Agent ?? throw new ValidationException("agent", "is required")).Validate();
            if (info.Id.IsEmpty) throw new ValidationException("agent.id", "is required to re-register");
        }
        catch (ValidationException e)
        {
            await RefuseAsync(request, ErrorCode.Invalid, e.Message).ConfigureAwait(false);
            return;
        }
        var known = _agents.TryGet(info.Id, out var agent);
        if (AgentIdentityProblem(connection.Principal, info.Id, known) is { } problem)
        {
            await RefuseAsync(request, ErrorCode.Unauthorized, problem).ConfigureAwait(false);
            return;
        }
        if (!known)
        {
            // An agent the master does not know (its store was lost): take it in with its id and adopt its tasks.
            agent = _agents.Add(info, Now);
        }
        else if (!agent.Info.Resources.Equals(info.Resources))
        {
            RescindOffers(agent);
            _agents.Resize(agent, info, _frameworks.HandleOf);
        }
        agent.Info = info;
        _agents.Attach(agent, connection);
        agent.IsolationWarning = reregister.IsolationWarning;
        agent.MissedPings = 0;
        agent.AwaitingPong = false;
        var wasUnreachable = agent.Status is AgentStatus.Unreachable or AgentStatus.Recovering;
        _agents.SetStatus(agent, wasUnreachable ? AgentStatus.Active : agent.Status);

        await ReconcileAgentTasksAsync(agent, reregister.Tasks, wasUnreachable).ConfigureAwait(false);
        await _agents.SaveAsync(agent).ConfigureAwait(false);
        MasterLog.AgentReregistered(_logger, info.Id.Value, reregister.Tasks.Count);
        // An agent coming back with the join token (its own credential was lost) is given its credential again.
        var token = _options.ClusterSecret is { } secret && connection.Principal == ClusterSecret.JoinPrincipal ? secret.AgentCredentials(info.Id).ToToken() : null;
        await request.ReplyAsync(new AgentRegistered { AgentId = info.Id, Token = token }).ConfigureAwait(false);
        if (agent!.Status == AgentStatus.Draining) await ContinueDrainAsync(agent).ConfigureAwait(false);
        _allocator.MarkDirty(agent.Slot);
        _events.Publish(MasterEventKind.AgentReregistered, agentId: info.Id);
    }

    /// <summary>
    /// With a cluster secret, who may re-register agent <paramref name="id"/>: its own principal (<c>agent/&lt;id&gt;</c>),
    /// or the join token for an id this master does not know (its store was lost). Null when allowed.
    /// </summary>
    private string? AgentIdentityProblem(string principal, AgentId id, bool known)
    {
        if (_options.ClusterSecret is null || principal == ClusterSecret.AgentPrincipalPrefix + id.Value) return null;
        if (principal == ClusterSecret.JoinPrincipal && !known) return null;
        return principal == ClusterSecret.JoinPrincipal
            ? $"agent {id} is known and re-registers with its own credential only, not the join token"
            : $"principal '{principal}' may not re-register agent {id}";
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
            if (!_frameworks.TryGet(report.FrameworkId, out var fw) || fw.Removed)
            {
                if (!report.State.IsTerminal()) Send(agent.Connection, new KillTask { FrameworkId = report.FrameworkId, TaskId = report.TaskId, AgentId = agent.Id });
                continue;
            }
            if (!fw.Tasks.TryGetValue(report.TaskId, out var task))
            {
                if (report.Spec is null || report.State.IsTerminal()) continue;
                // Adopt a task the master has no record of (store lost); its resources count from now on.
                await _tasks.AddAsync(fw, agent, report.Spec, Status(report.TaskId, report.State, TaskStatusReason.Reconciliation, agent.Id, "adopted from the agent"), fw.PrimaryRole, charge: true).ConfigureAwait(false);
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
            if (!_frameworks.TryGet(task.FrameworkId, out var fw)) continue;
            var state = fw.PartitionAware ? TaskState.Gone : TaskState.Lost;
            await UpdateTaskAsync(fw, task, Status(task.Id, state, TaskStatusReason.AgentRestarted, agent.Id, "the agent re-registered without this task"), notify: true).ConfigureAwait(false);
        }
    }

    private void OnAgentDisconnected(IMessageConnection connection, CloseReason reason)
    {
        var agent = _agents.Of(connection);
        if (agent is null) return;
        _agents.Attach(agent, null);
        // Deactivated at once, as Mesos does: nothing launched now could reach it, so its offers are rescinded and it is
        // not offered until it re-registers (which restores it) or misses its pings (unreachable). An accept naming one of
        // its offers is then answered TASK_LOST/DROPPED with REASON_INVALID_OFFERS, never a silent STAGING.
        RescindOffers(agent);
        _allocator.SetAgentUsable(agent.Slot, false);
        _events.Publish(MasterEventKind.AgentDisconnected, agentId: agent.Id, detail: reason.Message);
        // Not unreachable yet: pings keep counting; a reconnect within the ping budget loses nothing.
    }

    private async ValueTask PingAgentsAsync()
    {
        foreach (var agent in _agents.All.ToList())
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
        // A connection that is still open (a partition keeps TCP alive) is closed: the agent comes back only by
        // re-registering, which reconciles its tasks. During the partition the close cannot reach it; once the link
        // heals, its next heartbeat meets a closed socket and it reconnects.
        if (agent.Connection is { } connection)
        {
            _agents.Attach(agent, null);
            _ = connection.CloseAsync("declared unreachable after missed pings; re-register");
        }
        _agents.SetStatus(agent, AgentStatus.Unreachable);
        RescindOffers(agent);
        foreach (var task in agent.TaskList.ToList())
        {
            if (task.State.IsTerminal() || !_frameworks.TryGet(task.FrameworkId, out var fw)) continue;
            var state = fw.PartitionAware ? TaskState.Unreachable : TaskState.Lost;
            await UpdateTaskAsync(fw, task, Status(task.Id, state, TaskStatusReason.AgentUnreachable, agent.Id, "agent unreachable: " + reason), notify: true).ConfigureAwait(false);
        }
        foreach (var fw in _frameworks.All) Send(fw.Connection, new AgentLost { AgentId = agent.Id, Reason = "unreachable: " + reason });
        await _agents.SaveAsync(agent).ConfigureAwait(false);
        _events.Publish(MasterEventKind.AgentUnreachable, agentId: agent.Id, detail: reason);
    }

    public Task DrainAgentAsync(AgentId agentId, TimeSpan? gracePeriod = null) => PostAndWaitAsync(async () =>
    {
        if (!_agents.TryGet(agentId, out var agent)) throw new KeyNotFoundException($"no agent {agentId}");
        if (agent.Status is AgentStatus.Draining or AgentStatus.Drained) return;
        var grace = gracePeriod ?? _options.DrainGracePeriod;
        MasterLog.Draining(_logger, agentId.Value, grace);
        _agents.SetStatus(agent, AgentStatus.Draining);
        agent.DrainGracePeriod = grace;
        RescindOffers(agent);
        foreach (var task in agent.TaskList)
        {
            if (!task.State.IsTerminal()) Send(agent.Connection, new KillTask { FrameworkId = task.FrameworkId, TaskId = task.Id, AgentId = agent.Id, GracePeriodMs = (long)grace.TotalMilliseconds });
        }
        await _agents.SaveAsync(agent).ConfigureAwait(false);
        await ContinueDrainAsync(agent).ConfigureAwait(false);
    });

    /// <summary>A draining agent with no active task left is drained.</summary>
    private async ValueTask ContinueDrainAsync(AgentState agent)
    {
        if (agent.Status != AgentStatus.Draining) return;
        if (agent.TaskList.Any(t => !t.State.IsTerminal())) return;
        _agents.SetStatus(agent, AgentStatus.Drained);
        await _agents.SaveAsync(agent).ConfigureAwait(false);
    }

    public Task ReactivateAgentAsync(AgentId agentId) => PostAndWaitAsync(async () =>
    {
        if (!_agents.TryGet(agentId, out var agent)) throw new KeyNotFoundException($"no agent {agentId}");
        if (agent.Status is not (AgentStatus.Draining or AgentStatus.Drained)) return;
        _agents.SetStatus(agent, AgentStatus.Active);
        agent.DrainGracePeriod = null;
        await _agents.SaveAsync(agent).ConfigureAwait(false);
    });
}
