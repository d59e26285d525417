using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private void OnAgentMessage(MessageContext context)
    {
        var connection = context.Connection;
        var body = context.Body;
        switch (body)
        {
            case RegisterAgent register:
                RegisterAgent(context, register);
                return;
            case ReregisterAgent reregister:
                ReregisterAgent(context, reregister);
                return;
        }
        var agent = _agents.Of(connection);
        if (agent is null)
        {
            Refuse(context, ErrorCode.NotRegistered, "register first");
            return;
        }
        switch (body)
        {
            case AgentPong pong:
                if (pong.Sequence == agent.PingSequence) agent.AwaitingPong = false;
                agent.MissedPings = 0;
                break;
            case StatusUpdate update:
                OnStatusUpdate(agent, update);
                break;
            case FrameworkMessage relay:
                if (_frameworks.TryGet(relay.FrameworkId, out var fw)) Send(fw.Connection, new FrameworkMessage { FrameworkId = relay.FrameworkId, AgentId = agent.Id, ExecutorId = relay.ExecutorId, Data = relay.Data });
                break;
            case Heartbeat:
                // Answered in order behind the agent's earlier messages: a barrier (the simulator's SyncAsync) that
                // proves they were handled.
                Reply(context, new Heartbeat());
                break;
            case ErrorMessage error:
                // An agent refusing something outside a task's updates (a duplicate launch): logged, never answered.
                MasterLog.AgentError(_logger, agent.Id.Value, error.Code, error.Message);
                break;
            default:
                Refuse(context, ErrorCode.Unsupported, $"an agent may not send {body.GetType().Name}");
                break;
        }
    }

    private void RegisterAgent(MessageContext request, RegisterAgent register)
    {
        var connection = request.Connection;
        AgentInfo info;
        try
        {
            info = (register.Agent ?? throw new ValidationException("agent", "is required")).Validate();
        }
        catch (ValidationException e)
        {
            Refuse(request, ErrorCode.Invalid, e.Message);
            return;
        }
        if (_options.ClusterSecret is not null && connection.Principal != ClusterSecret.JoinPrincipal)
        {
            Refuse(request, ErrorCode.Unauthorized, $"principal '{connection.Principal}' may not add agents: new agents join with the cluster's join token");
            return;
        }
        info = info with { Id = new AgentId($"{_runId}-S{++_nextAgent}") };
        var agent = _agents.Add(info, Now);
        _agents.Attach(agent, connection);
        _agents.Save(agent);
        MasterLog.AgentRegistered(_logger, info.Id.Value, info.Hostname, info.Resources.ToString());
        Reply(request, new AgentRegistered { AgentId = info.Id, Token = _options.ClusterSecret?.AgentCredentials(info.Id).ToToken() });
        _events.Publish(MasterEventKind.AgentAdded, agentId: info.Id);
    }

    private void ReregisterAgent(MessageContext request, ReregisterAgent reregister)
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
            Refuse(request, ErrorCode.Invalid, e.Message);
            return;
        }
        var known = _agents.TryGet(info.Id, out var agent);
        if (AgentIdentityProblem(connection.Principal, info.Id, known) is { } problem)
        {
            Refuse(request, ErrorCode.Unauthorized, problem);
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

        ReconcileAgentTasks(agent, reregister.Tasks, wasUnreachable);
        _agents.Save(agent);
        MasterLog.AgentReregistered(_logger, info.Id.Value, reregister.Tasks.Count);
        // An agent coming back with the join token (its own credential was lost) is given its credential again.
        var token = _options.ClusterSecret is { } secret && connection.Principal == ClusterSecret.JoinPrincipal ? secret.AgentCredentials(info.Id).ToToken() : null;
        Reply(request, new AgentRegistered { AgentId = info.Id, Token = token });
        if (agent!.Status == AgentStatus.Draining) ContinueDrain(agent);
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
    private void ReconcileAgentTasks(AgentState agent, List<RunningTask> reported, bool returning)
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
                _tasks.Add(fw, agent, report.Spec, Status(report.TaskId, report.State, TaskStatusReason.Reconciliation, agent.Id, "adopted from the agent"), fw.PrimaryRole, charge: true);
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
                UpdateTask(fw, task, Status(task.Id, report.State, TaskStatusReason.Reconciliation, agent.Id, "the agent is reachable again"), notify: true);
            }
        }
        foreach (var task in agent.TaskList.ToList())
        {
            if (task.State.IsTerminal() || seen.Contains((task.FrameworkId, task.Id))) continue;
            if (!_frameworks.TryGet(task.FrameworkId, out var fw)) continue;
            var state = fw.PartitionAware ? TaskState.Gone : TaskState.Lost;
            UpdateTask(fw, task, Status(task.Id, state, TaskStatusReason.AgentRestarted, agent.Id, "the agent re-registered without this task"), notify: true);
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

    /// <summary>Agents due to be declared unreachable, waiting for the removal rate limit, oldest first; each with why and whether it still is due.</summary>
    private readonly Queue<(AgentState Agent, string Reason, Func<AgentState, bool> StillDue)> _removals = new();
    private readonly HashSet<AgentState> _removalPending = [];
    /// <summary>Removals the rate limit allows now (a bucket; negative until first used), and when it was last topped up.</summary>
    private double _removalTokens = -1;
    private DateTimeOffset _removalTokensAt;

    /// <summary>
    /// Takes one removal from the rate limit's bucket, topped up at <see cref="AgentRemovalRateLimit.Interval"/> per
    /// removal since the last call. Turns are handed out at ping ticks, so the bucket holds one tick's worth (at least
    /// one): at 100 per minute and 15 s ticks, 25 agents go per tick, not one; at 2 per minute, one every second tick.
    /// </summary>
    private bool TakeRemovalTurn(AgentRemovalRateLimit limit)
    {
        var capacity = Math.Max(1.0, Math.Floor(_options.AgentPingTimeout / limit.Interval + 1e-9));
        _removalTokens = _removalTokens < 0 ? capacity : Math.Min(capacity, _removalTokens + (Now - _removalTokensAt) / limit.Interval);
        _removalTokensAt = Now;
        if (_removalTokens < 1 - 1e-9) return false;
        _removalTokens -= 1;
        return true;
    }

    /// <summary>
    /// Declares <paramref name="agent"/> unreachable now, or, under <see cref="MasterOptions.AgentRemovalRateLimit"/>,
    /// once its turn comes (each ping tick hands out the turns that are due), if it is <paramref name="stillDue"/> then.
    /// </summary>
    private void RemoveWhenAllowed(AgentState agent, string reason, Func<AgentState, bool> stillDue)
    {
        if (_options.AgentRemovalRateLimit is null)
        {
            MarkUnreachable(agent, reason);
            return;
        }
        if (_removalPending.Add(agent))
        {
            MasterLog.RemovalPending(_logger, agent.Id.Value, reason, _removals.Count);
            _removals.Enqueue((agent, reason, stillDue));
        }
        RemoveDueAgents();
    }

    /// <summary>Declares unreachable the waiting agents whose turn has come; one that answered meanwhile gives its turn to the next.</summary>
    private void RemoveDueAgents()
    {
        if (_options.AgentRemovalRateLimit is not { } limit) return;
        while (_removals.Count > 0)
        {
            var (agent, reason, stillDue) = _removals.Peek();
            if (agent.Status == AgentStatus.Unreachable || !_agents.TryGet(agent.Id, out var current) || !ReferenceEquals(current, agent) || !stillDue(agent))
            {
                _removals.Dequeue();
                _removalPending.Remove(agent);
                continue;
            }
            if (!TakeRemovalTurn(limit)) return;
            _removals.Dequeue();
            _removalPending.Remove(agent);
            MarkUnreachable(agent, reason);
        }
    }

    private void PingAgents()
    {
        RemoveDueAgents();
        foreach (var agent in _agents.All.ToList())
        {
            if (agent.Status is AgentStatus.Unreachable or AgentStatus.Recovering) continue;
            if (agent.AwaitingPong || agent.Connection is null)
            {
                agent.MissedPings++;
                if (agent.MissedPings >= _options.MaxAgentPingTimeouts)
                {
                    RemoveWhenAllowed(agent, $"missed {agent.MissedPings} pings ({_options.AgentPingTimeout.TotalSeconds:0.###} s each)", a => a.MissedPings >= _options.MaxAgentPingTimeouts);
                    if (agent.Status == AgentStatus.Unreachable) continue;
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
    private void MarkUnreachable(AgentState agent, string reason)
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
            UpdateTask(fw, task, Status(task.Id, state, TaskStatusReason.AgentUnreachable, agent.Id, "agent unreachable: " + reason), notify: true);
        }
        foreach (var fw in _frameworks.All) Send(fw.Connection, new AgentLost { AgentId = agent.Id, Reason = "unreachable: " + reason });
        _agents.Save(agent);
        _events.Publish(MasterEventKind.AgentUnreachable, agentId: agent.Id, detail: reason);
    }

    public Task DrainAgentAsync(AgentId agentId, TimeSpan? gracePeriod = null) => PostAndWaitAsync(() =>
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
        _agents.Save(agent);
        ContinueDrain(agent);
    });

    /// <summary>A draining agent with no active task left is drained.</summary>
    private void ContinueDrain(AgentState agent)
    {
        if (agent.Status != AgentStatus.Draining) return;
        if (agent.TaskList.Any(t => !t.State.IsTerminal())) return;
        _agents.SetStatus(agent, AgentStatus.Drained);
        _agents.Save(agent);
    }

    public Task ReactivateAgentAsync(AgentId agentId) => PostAndWaitAsync(() =>
    {
        if (!_agents.TryGet(agentId, out var agent)) throw new KeyNotFoundException($"no agent {agentId}");
        if (agent.Status is not (AgentStatus.Draining or AgentStatus.Drained)) return;
        _agents.SetStatus(agent, AgentStatus.Active);
        agent.DrainGracePeriod = null;
        _agents.Save(agent);
    });
}
