using DcOs.Core;
using DcOs.Scheduling.Allocation;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The tasks the master tracks. A task is in its framework's table (<see cref="FrameworkState.Tasks"/>) and its
/// agent's (<see cref="AgentState.Tasks"/>), its resources are charged in the allocator while it holds them, and it is
/// written to the store with the step (<see cref="StoreChangeSet"/>); those four change only here, together, and every change is published to the master's watchers. Terminal tasks stay, up to a bound per framework, so
/// reconciliation and the API can still answer for them.
/// </summary>
internal sealed class TaskTable(HierarchicalAllocator allocator, StoreChangeSet store, AgentTable agents, MasterEvents events, int completedPerFramework)
{
    /// <summary>
    /// Records a new task in both tables and the step's store writes. <paramref name="charge"/>: its resources are not yet allocated
    /// to the framework (a batch placement, a task adopted from an agent), so they are charged now; a launch from
    /// offers already holds them.
    /// </summary>
    public TaskEntry Add(FrameworkState fw, AgentState agent, TaskSpec spec, TaskStatusUpdate status, string role, bool charge)
    {
        var task = Index(fw, agent, new TaskEntry(fw.Id, agent.Id, spec, status, role));
        if (charge) allocator.AddAllocation(agent.Slot, fw.Handle, role, spec.Resources);
        store.Save(task.ToRecord());
        events.Publish(MasterEventKind.TaskUpdated, agent.Id, fw.Id, status);
        return task;
    }

    /// <summary>Puts back a task read from the store after a restart (charged when it is not terminal; nothing is written).</summary>
    public void Restore(FrameworkState fw, AgentState agent, TaskRecord record)
    {
        var task = Index(fw, agent, new TaskEntry(record.FrameworkId, record.AgentId, record.Spec, record.Status, record.Role) { StartedAt = record.StartedAt });
        if (task.State.IsTerminal())
        {
            task.HoldsResources = false;
            fw.Completed.Enqueue(task.Id);
        }
        else
        {
            allocator.AddAllocation(agent.Slot, fw.Handle, task.Role, task.Spec.Resources);
        }
    }

    /// <summary>
    /// Applies a new status and stores it; a task that has just ended gives its resources back and joins its
    /// framework's completed tasks, the oldest of which beyond the bound are forgotten. True when the task just ended.
    /// </summary>
    public bool Update(FrameworkState fw, TaskEntry task, TaskStatusUpdate status, DateTimeOffset now)
    {
        var ended = status.State.IsTerminal() && !task.State.IsTerminal();
        task.Status = status;
        if (status.State == TaskState.Running && task.StartedAt is null) task.StartedAt = status.Timestamp == default ? now : status.Timestamp;
        if (ended)
        {
            ReleaseResources(fw, task);
            fw.Completed.Enqueue(task.Id);
            while (fw.Completed.Count > completedPerFramework && fw.Completed.TryDequeue(out var old))
            {
                if (fw.Tasks.TryGetValue(old, out var gone) && gone.State.IsTerminal()) Forget(fw, gone);
            }
        }
        store.Save(task.ToRecord());
        events.Publish(MasterEventKind.TaskUpdated, task.AgentId, fw.Id, status);
        return ended;
    }

    /// <summary>
    /// The framework is being removed: every task's resources go back, its tasks leave their agents' tables and the
    /// store. Returns the tasks that were still active, for the caller to kill on their agents.
    /// </summary>
    public List<TaskEntry> RemoveFramework(FrameworkState fw)
    {
        var active = new List<TaskEntry>();
        foreach (var task in fw.Tasks.Values.ToList())
        {
            if (!task.State.IsTerminal()) active.Add(task);
            ReleaseResources(fw, task);
            Forget(fw, task);
        }
        fw.Completed.Clear();
        return active;
    }

    /// <summary>Where the framework's active tasks of <paramref name="group"/> run, for UNIQUE, CLUSTER, GROUP_BY and MAX_PER.</summary>
    public List<IPlacementTarget> PlacementsOf(FrameworkState fw, string group)
    {
        var placed = new List<IPlacementTarget>();
        foreach (var t in fw.Tasks.Values)
        {
            if (!t.State.IsTerminal() && TaskLabels.GroupOf(t.Spec) == group && agents.TryGet(t.AgentId, out var agent)) placed.Add(agent.Info);
        }
        return placed;
    }

    private static TaskEntry Index(FrameworkState fw, AgentState agent, TaskEntry task)
    {
        fw.Tasks[task.Id] = task;
        agent.Tasks[(fw.Id, task.Id)] = task;
        return task;
    }

    private void ReleaseResources(FrameworkState fw, TaskEntry task)
    {
        if (!task.HoldsResources) return;
        task.HoldsResources = false;
        if (agents.TryGet(task.AgentId, out var agent)) allocator.Recover(agent.Slot, fw.Handle, task.Role, task.Spec.Resources);
    }

    private void Forget(FrameworkState fw, TaskEntry task)
    {
        fw.Tasks.Remove(task.Id);
        if (agents.TryGet(task.AgentId, out var agent)) agent.Tasks.Remove((fw.Id, task.Id));
        store.Remove(fw.Id, task.Id);
    }
}
