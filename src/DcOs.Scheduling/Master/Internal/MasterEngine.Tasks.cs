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
    private async ValueTask OnStatusUpdateAsync(AgentState agent, StatusUpdate update)
    {
        if (update.Status is not { } status) return;
        status = status with { AgentId = agent.Id };
        if (!_frameworks.TryGetValue(update.FrameworkId, out var fw) || fw.Removed)
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
        await UpdateTaskAsync(fw, task, status, notify: false).ConfigureAwait(false);
        if (fw.Connection is not null) Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = status });
        // Without a connected framework nothing is acknowledged; the agent keeps resending until the framework is back.
    }

    private static void AcknowledgeOnBehalf(AgentState agent, FrameworkId frameworkId, TaskStatusUpdate status)
    {
        if (status.NeedsAcknowledgement && agent.Connection is { } c)
            c.TrySend(new StatusUpdateAck { FrameworkId = frameworkId, AgentId = agent.Id, TaskId = status.TaskId, UpdateId = status.UpdateId });
    }

    /// <summary>
    /// Applies a new status to a task: resources are returned when it ends, the change is stored, and when
    /// <paramref name="notify"/> the framework is told (master-generated updates need no acknowledgement).
    /// </summary>
    private async ValueTask UpdateTaskAsync(FrameworkState fw, TaskEntry task, TaskStatusUpdate status, bool notify)
    {
        var wasTerminal = task.State.IsTerminal();
        task.Status = status;
        if (status.State == TaskState.Running && task.StartedAt is null) task.StartedAt = status.Timestamp == default ? Now : status.Timestamp;
        if (status.State.IsTerminal() && !wasTerminal) await ReleaseTaskAsync(fw, task).ConfigureAwait(false);
        await _store.SaveTaskAsync(task.ToRecord()).ConfigureAwait(false);
        if (notify) Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = status with { UpdateId = Guid.Empty } });
        if (status.State.IsTerminal() && _agents.TryGetValue(task.AgentId, out var agent)) await ContinueDrainAsync(agent).ConfigureAwait(false);
    }

    /// <summary>Returns a finished task's resources and keeps it among the framework's completed tasks (bounded).</summary>
    private async ValueTask ReleaseTaskAsync(FrameworkState fw, TaskEntry task)
    {
        if (task.HoldsResources && _agents.TryGetValue(task.AgentId, out var agent))
        {
            task.HoldsResources = false;
            _allocator.Recover(agent.Slot, fw.Handle, task.Role, task.Spec.Resources);
            _dirtySlots.Add(agent.Slot);
        }
        fw.Completed.Enqueue(task.Id);
        while (fw.Completed.Count > _options.CompletedTasksPerFramework && fw.Completed.TryDequeue(out var old))
        {
            if (fw.Tasks.TryGetValue(old, out var gone) && gone.State.IsTerminal())
            {
                fw.Tasks.Remove(old);
                if (_agents.TryGetValue(gone.AgentId, out var a)) a.Tasks.Remove((fw.Id, old));
                await _store.RemoveTaskAsync(fw.Id, old).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Rebuilds the state from the store after a restart: agents wait to re-register, frameworks to re-subscribe.</summary>
    private void Recover(MasterStoreState state)
    {
        foreach (var record in state.Agents)
        {
            var agent = AddAgent(record.Info, record.RegisteredAt);
            agent.Status = record.Status is AgentStatus.Draining or AgentStatus.Drained ? record.Status : AgentStatus.Recovering;
            _allocator.SetAgentUsable(agent.Slot, false);
        }
        foreach (var record in state.Frameworks)
        {
            var fw = AddFramework(record.Info, record.RegisteredAt);
            _allocator.SetFrameworkActive(fw.Handle, false);
            // A recovered framework gets at least the agents' re-registration time to come back.
            var timeout = record.Info.FailoverTimeout > _options.AgentReregisterTimeout ? record.Info.FailoverTimeout : _options.AgentReregisterTimeout;
            StartFailoverTimer(fw, timeout);
        }
        foreach (var record in state.Tasks)
        {
            if (!_frameworks.TryGetValue(record.FrameworkId, out var fw) || !_agents.TryGetValue(record.AgentId, out var agent)) continue;
            var task = new TaskEntry(record.FrameworkId, record.AgentId, record.Spec, record.Status, record.Role) { StartedAt = record.StartedAt };
            fw.Tasks[task.Id] = task;
            agent.Tasks[(fw.Id, task.Id)] = task;
            if (task.State.IsTerminal())
            {
                task.HoldsResources = false;
                fw.Completed.Enqueue(task.Id);
            }
            else
            {
                _allocator.AddAllocation(agent.Slot, fw.Handle, task.Role, task.Spec.Resources);
            }
        }
        if (state.Agents.Count > 0)
        {
            _reregisterTimer = _time.CreateTimer(_ => Post(async () =>
            {
                foreach (var agent in _agents.Values.Where(a => a.Status == AgentStatus.Recovering).ToList())
                    await MarkUnreachableAsync(agent, $"did not re-register within {_options.AgentReregisterTimeout.TotalSeconds:0.###} s of the master's restart").ConfigureAwait(false);
            }), null, _options.AgentReregisterTimeout, Timeout.InfiniteTimeSpan);
        }
    }
}
