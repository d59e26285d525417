using DcOs.Core;

namespace DcOs.Scheduling.Master;

/// <summary>
/// Where the master keeps what must survive a restart. The store is the truth: the master writes each step's changes
/// (<see cref="WriteAsync"/>) before it acts on them, and after a restart, or a store failure, it is what the master
/// believes.
/// </summary>
public interface IMasterStore : IAsyncDisposable
{
    /// <summary>Everything saved so far.</summary>
    Task<MasterStoreState> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies one step's changes, all of them or none. It runs before the master sends, answers or publishes anything
    /// about the step. Throw when the changes cannot be stored: the master then stops acting (every request is answered
    /// "unavailable"), drops what it had not stored, and resumes from <see cref="LoadAsync"/> once
    /// <see cref="CheckWritableAsync"/> succeeds.
    /// </summary>
    Task WriteAsync(MasterStoreChanges changes, CancellationToken cancellationToken = default);

    /// <summary>
    /// After a failed write: writes something that is not cluster state (a marker) to learn whether writes succeed
    /// again. Throws while they do not.
    /// </summary>
    Task CheckWritableAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// One step of the master's changes, each record at most once: what to insert or replace and what to forget.
/// </summary>
/// <param name="Agents">Agents to insert or replace.</param>
/// <param name="Frameworks">Frameworks to insert or replace.</param>
/// <param name="RemovedFrameworks">Frameworks to forget.</param>
/// <param name="Tasks">Tasks to insert or replace, with their latest status.</param>
/// <param name="RemovedTasks">Tasks to forget.</param>
public sealed record MasterStoreChanges(
    IReadOnlyList<AgentRecord> Agents,
    IReadOnlyList<FrameworkRecord> Frameworks,
    IReadOnlyList<FrameworkId> RemovedFrameworks,
    IReadOnlyList<TaskRecord> Tasks,
    IReadOnlyList<(FrameworkId FrameworkId, TaskId TaskId)> RemovedTasks)
{
    /// <summary>Whether there is nothing to write.</summary>
    public bool IsEmpty => Agents.Count == 0 && Frameworks.Count == 0 && RemovedFrameworks.Count == 0 && Tasks.Count == 0 && RemovedTasks.Count == 0;
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
