using DcOs.Core;

namespace DcOs.Scheduling.Master.Stores;

/// <summary>A store in memory: for tests and simulations, or to share one store between master instances in a process.</summary>
internal sealed class InMemoryMasterStore : IMasterStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<AgentId, AgentRecord> _agents = [];
    private readonly Dictionary<FrameworkId, FrameworkRecord> _frameworks = [];
    private readonly Dictionary<(FrameworkId, TaskId), TaskRecord> _tasks = [];

    public Task<MasterStoreState> LoadAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(new MasterStoreState([.. _agents.Values], [.. _frameworks.Values], [.. _tasks.Values]));
    }

    public Task WriteAsync(MasterStoreChanges changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        lock (_gate)
        {
            foreach (var agent in changes.Agents) _agents[agent.Info.Id] = agent;
            foreach (var framework in changes.Frameworks) _frameworks[framework.Info.Id] = framework;
            foreach (var id in changes.RemovedFrameworks) _frameworks.Remove(id);
            foreach (var task in changes.Tasks) _tasks[(task.FrameworkId, task.Spec.Id)] = task;
            foreach (var key in changes.RemovedTasks) _tasks.Remove(key);
        }
        return Task.CompletedTask;
    }

    public Task CheckWritableAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
