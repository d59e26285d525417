using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private TaskStatusUpdate Status(TaskId taskId, TaskState state, TaskStatusReason reason, AgentId agentId, string? message) => new()
    {
        TaskId = taskId,
        State = state,
        Reason = reason,
        Source = TaskStatusSource.Master,
        Message = message,
        Timestamp = Now,
        AgentId = agentId,
    };

    /// <summary>
    /// A status update from an agent: recorded durably, then forwarded to the framework, whose acknowledgement the
    /// master relays back to the agent. Updates for frameworks that are gone are acknowledged by the master itself
    /// (so the agent stops resending) and their still-running tasks are killed.
    /// </summary>
    private void OnStatusUpdate(AgentState agent, StatusUpdate update)
    {
        if (update.Status is not { } status) return;
        status = status with { AgentId = agent.Id };
        if (!_frameworks.TryGet(update.FrameworkId, out var fw) || fw.Removed)
        {
            AcknowledgeOnBehalf(agent, update.FrameworkId, status);
            if (!status.State.IsTerminal()) Send(agent.Connection, new KillTask { FrameworkId = update.FrameworkId, TaskId = status.TaskId, AgentId = agent.Id });
            return;
        }
        if (!fw.Tasks.TryGetValue(status.TaskId, out var task))
        {
            // Unknown to the master (e.g. launched before a master restart that lost it): forward, the framework decides.
            Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = status });
            return;
        }
        if (task.State.IsTerminal() && !status.State.IsTerminal())
        {
            // The master already gave up on this task (lost while unreachable): it must not run.
            AcknowledgeOnBehalf(agent, fw.Id, status);
            Send(agent.Connection, new KillTask { FrameworkId = fw.Id, TaskId = task.Id, AgentId = agent.Id });
            return;
        }
        if (status.State == TaskState.Dropped && !fw.PartitionAware) status = status with { State = TaskState.Lost };
        UpdateTask(fw, task, status, notify: false);
        if (fw.Connection is not null) Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = status });
        // Without a connected framework nothing is acknowledged; the agent keeps resending until the framework is back.
    }

    private void AcknowledgeOnBehalf(AgentState agent, FrameworkId frameworkId, TaskStatusUpdate status)
    {
        if (status.NeedsAcknowledgement)
            Send(agent.Connection, new StatusUpdateAck { FrameworkId = frameworkId, AgentId = agent.Id, TaskId = status.TaskId, UpdateId = status.UpdateId });
    }

    /// <summary>
    /// Applies a new status to a task: resources are returned when it ends, the change is stored, and when
    /// <paramref name="notify"/> the framework is told (master-generated updates need no acknowledgement).
    /// </summary>
    private void UpdateTask(FrameworkState fw, TaskEntry task, TaskStatusUpdate status, bool notify)
    {
        _tasks.Update(fw, task, status, Now);
        if (notify) Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = status with { UpdateId = Guid.Empty } });
        if (status.State.IsTerminal() && _agents.TryGet(task.AgentId, out var agent)) ContinueDrain(agent);
    }

    /// <summary>Rebuilds the state from the store after a restart: agents wait to re-register, frameworks to re-subscribe.</summary>
    private void Recover(MasterStoreState state)
    {
        foreach (var record in state.Agents)
        {
            var agent = _agents.Add(record.Info, record.RegisteredAt);
            _agents.SetStatus(agent, record.Status is AgentStatus.Draining or AgentStatus.Drained ? record.Status : AgentStatus.Recovering);
        }
        foreach (var record in state.Frameworks)
        {
            var fw = _frameworks.Add(record.Info, record.RegisteredAt);
            _frameworks.SetInactive(fw);
            // A recovered framework gets at least the agents' re-registration time to come back.
            var timeout = record.Info.FailoverTimeout > _options.AgentReregisterTimeout ? record.Info.FailoverTimeout : _options.AgentReregisterTimeout;
            StartFailoverTimer(fw, timeout);
        }
        foreach (var record in state.Tasks)
        {
            if (_frameworks.TryGet(record.FrameworkId, out var fw) && _agents.TryGet(record.AgentId, out var agent)) _tasks.Restore(fw, agent, record);
        }
        if (state.Agents.Count > 0)
        {
            var epoch = _epoch;
            _reregisterTimer = _time.CreateTimer(_ => PostForEpoch(epoch, () =>
            {
                foreach (var agent in _agents.All.Where(a => a.Status == AgentStatus.Recovering).ToList())
                    RemoveWhenAllowed(agent, $"did not re-register within {_options.AgentReregisterTimeout.TotalSeconds:0.###} s of the master's restart", a => a.Status == AgentStatus.Recovering);
            }), null, _options.AgentReregisterTimeout, Timeout.InfiniteTimeSpan);
        }
    }
}
