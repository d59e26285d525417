using DcOs.Core;

namespace DcOs.Scheduling.Master;

/// <summary>An agent as the master sees it.</summary>
/// <param name="Info">What the agent registered with.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="Used">Resources held by its tasks.</param>
/// <param name="Offered">Resources in outstanding offers.</param>
/// <param name="ActiveTasks">Non-terminal tasks on it.</param>
/// <param name="IsolationWarning">Set when the agent cannot isolate tasks.</param>
/// <param name="RegisteredAt">First registration.</param>
public sealed record AgentView(AgentInfo Info, AgentStatus Status, Resources Used, Resources Offered, int ActiveTasks, string? IsolationWarning, DateTimeOffset RegisteredAt);

/// <summary>A framework as the master sees it.</summary>
/// <param name="Info">What it subscribed with (its id set).</param>
/// <param name="Connected">Whether it is connected now.</param>
/// <param name="ActiveTasks">Its non-terminal tasks.</param>
/// <param name="OutstandingOffers">Offers it holds.</param>
/// <param name="Suppressed">Whether it suppressed offers for all its roles.</param>
/// <param name="RejectionCounts">Why resources did not become its tasks: offers declined per reason, as the framework reported, plus the master's own.</param>
/// <param name="DominantShare">Its dominant share of the cluster (first role).</param>
public sealed record FrameworkView(FrameworkInfo Info, bool Connected, int ActiveTasks, int OutstandingOffers, bool Suppressed, IReadOnlyDictionary<PlacementReason, long> RejectionCounts, double DominantShare);

/// <summary>A task as the master sees it.</summary>
/// <param name="FrameworkId">Its framework.</param>
/// <param name="AgentId">Its agent.</param>
/// <param name="Spec">What it runs.</param>
/// <param name="Status">Its latest status.</param>
/// <param name="StartedAt">When it was first reported running.</param>
public sealed record TaskView(FrameworkId FrameworkId, AgentId AgentId, TaskSpec Spec, TaskStatusUpdate Status, DateTimeOffset? StartedAt)
{
    /// <summary>The task's id.</summary>
    public TaskId Id => Spec.Id;

    /// <summary>The task's state.</summary>
    public TaskState State => Status.State;
}

/// <summary>What one task uses, as its agent measured it.</summary>
/// <param name="FrameworkId">The task's framework.</param>
/// <param name="TaskId">The task.</param>
/// <param name="CpuSeconds">CPU time used since it started (user and system), in seconds.</param>
/// <param name="MemoryBytes">Resident memory now, in bytes.</param>
/// <param name="Timestamp">When the agent measured it (its clock).</param>
public sealed record TaskUsageView(FrameworkId FrameworkId, TaskId TaskId, double CpuSeconds, long MemoryBytes, DateTimeOffset Timestamp);
