using DcOs.Core;

namespace DcOs.Scheduling.Master;

/// <summary>
/// Where the master writes every durable change: agents, frameworks, tasks and their last status. A master started on
/// the same store recovers them. Calls come from the master's single event loop, one at a time.
/// </summary>
public interface IMasterStore : IAsyncDisposable
{
    /// <summary>Everything saved so far.</summary>
    Task<MasterStoreState> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces an agent.</summary>
    Task SaveAgentAsync(AgentRecord agent);

    /// <summary>Forgets an agent.</summary>
    Task RemoveAgentAsync(AgentId agentId);

    /// <summary>Inserts or replaces a framework.</summary>
    Task SaveFrameworkAsync(FrameworkRecord framework);

    /// <summary>Forgets a framework.</summary>
    Task RemoveFrameworkAsync(FrameworkId frameworkId);

    /// <summary>Inserts or replaces a task with its latest status.</summary>
    Task SaveTaskAsync(TaskRecord task);

    /// <summary>Forgets a task.</summary>
    Task RemoveTaskAsync(FrameworkId frameworkId, TaskId taskId);
}

/// <summary>What a store holds.</summary>
/// <param name="Agents">Agents.</param>
/// <param name="Frameworks">Frameworks.</param>
/// <param name="Tasks">Tasks with their last status.</param>
public sealed record MasterStoreState(IReadOnlyList<AgentRecord> Agents, IReadOnlyList<FrameworkRecord> Frameworks, IReadOnlyList<TaskRecord> Tasks);

/// <summary>A stored agent.</summary>
/// <param name="Info">Its registration, id set.</param>
/// <param name="Status">Where it stood.</param>
/// <param name="RegisteredAt">First registration.</param>
public sealed record AgentRecord(AgentInfo Info, AgentStatus Status, DateTimeOffset RegisteredAt);

/// <summary>A stored framework.</summary>
/// <param name="Info">Its subscription, id set.</param>
/// <param name="RegisteredAt">First subscription.</param>
public sealed record FrameworkRecord(FrameworkInfo Info, DateTimeOffset RegisteredAt);

/// <summary>A stored task.</summary>
/// <param name="FrameworkId">Its framework.</param>
/// <param name="AgentId">Its agent.</param>
/// <param name="Spec">What it runs.</param>
/// <param name="Status">Its latest status.</param>
/// <param name="Role">The role its resources are allocated to.</param>
/// <param name="StartedAt">When it was first running.</param>
public sealed record TaskRecord(FrameworkId FrameworkId, AgentId AgentId, TaskSpec Spec, TaskStatusUpdate Status, string Role, DateTimeOffset? StartedAt);
