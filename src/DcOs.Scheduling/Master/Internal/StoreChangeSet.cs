using DcOs.Core;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The store writes of the master's current step, collected as the tables change and written together (one
/// <see cref="IMasterStore.WriteAsync"/>) when the step ends. A record changed twice in a step is written once, as it
/// last was; one saved then forgotten is only forgotten.
/// </summary>
internal sealed class StoreChangeSet
{
    private readonly Dictionary<AgentId, AgentRecord> _agents = [];
    private readonly Dictionary<FrameworkId, FrameworkRecord?> _frameworks = [];
    private readonly Dictionary<(FrameworkId, TaskId), TaskRecord?> _tasks = [];

    public bool IsEmpty => _agents.Count == 0 && _frameworks.Count == 0 && _tasks.Count == 0;

    public void Save(AgentRecord agent) => _agents[agent.Info.Id] = agent;

    public void Save(FrameworkRecord framework) => _frameworks[framework.Info.Id] = framework;

    public void Remove(FrameworkId frameworkId) => _frameworks[frameworkId] = null;

    public void Save(TaskRecord task) => _tasks[(task.FrameworkId, task.Spec.Id)] = task;

    public void Remove(FrameworkId frameworkId, TaskId taskId) => _tasks[(frameworkId, taskId)] = null;

    /// <summary>The step's changes; the set is empty afterwards.</summary>
    public MasterStoreChanges Take()
    {
        var changes = new MasterStoreChanges(
            [.. _agents.Values],
            [.. _frameworks.Values.OfType<FrameworkRecord>()],
            [.. _frameworks.Where(f => f.Value is null).Select(f => f.Key)],
            [.. _tasks.Values.OfType<TaskRecord>()],
            [.. _tasks.Where(t => t.Value is null).Select(t => t.Key)]);
        Clear();
        return changes;
    }

    /// <summary>Drops the step's changes (its write failed; the master reloads what the store holds).</summary>
    public void Clear()
    {
        _agents.Clear();
        _frameworks.Clear();
        _tasks.Clear();
    }
}
