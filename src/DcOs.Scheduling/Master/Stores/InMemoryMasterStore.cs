using System.Collections.Concurrent;
using DcOs.Core;

namespace DcOs.Scheduling.Master.Stores;

/// <summary>A store in memory: for tests and simulations, or to share one store between master instances in a process.</summary>
internal sealed class InMemoryMasterStore : IMasterStore
{
    private readonly ConcurrentDictionary<AgentId, AgentRecord> _agents = new();
    private readonly ConcurrentDictionary<FrameworkId, FrameworkRecord> _frameworks = new();
    private readonly ConcurrentDictionary<(FrameworkId, TaskId), TaskRecord> _tasks = new();

    public Task<MasterStoreState> LoadAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new MasterStoreState([.. _agents.Values], [.. _frameworks.Values], [.. _tasks.Values]));

    public Task SaveAgentAsync(AgentRecord agent)
    {
        _agents[agent.Info.Id] = agent;
        return Task.CompletedTask;
    }

    public Task RemoveAgentAsync(AgentId agentId)
    {
        _agents.TryRemove(agentId, out _);
        return Task.CompletedTask;
    }

    public Task SaveFrameworkAsync(FrameworkRecord framework)
    {
        _frameworks[framework.Info.Id] = framework;
        return Task.CompletedTask;
    }

    public Task RemoveFrameworkAsync(FrameworkId frameworkId)
    {
        _frameworks.TryRemove(frameworkId, out _);
        return Task.CompletedTask;
    }

    public Task SaveTaskAsync(TaskRecord task)
    {
        _tasks[(task.FrameworkId, task.Spec.Id)] = task;
        return Task.CompletedTask;
    }

    public Task RemoveTaskAsync(FrameworkId frameworkId, TaskId taskId)
    {
        _tasks.TryRemove((frameworkId, taskId), out _);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
