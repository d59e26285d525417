namespace DcOs.Core.Placement;

/// <summary>
/// A task waiting for a machine, with what the optimizer needs beyond the <see cref="TaskSpec"/>: how much work it is,
/// when it must be done, how much it matters, and which group its constraints count against.
/// </summary>
public sealed record PendingTask
{
    /// <summary>The task (resources and constraints are read from it).</summary>
    public required TaskSpec Spec { get; init; }

    /// <summary>Estimated duration on a machine of speed 1; null when unknown (see <see cref="WorkUnits"/>).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Estimated work, converted to a duration with <c>OptimizerOptions.WorkUnitsPerHour</c> (DcOs.Optimization); exclusive with <see cref="Duration"/>.</summary>
    public double? WorkUnits { get; init; }

    /// <summary>When the task must have finished; must be in the future. Enforced by <see cref="PlacementObjective.EnforceDeadlines"/>.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>0 to 1000; when capacity is short, a task of priority p counts as much as p + 1 tasks of priority 0.</summary>
    public int Priority { get; init; }

    /// <summary>
    /// The group (Marathon app) whose tasks UNIQUE, CLUSTER, GROUP_BY and MAX_PER count together; null means the task
    /// stands alone. Tasks of one group should carry the same constraints.
    /// </summary>
    public string? Group { get; init; }

    /// <summary>Whether the task may run on a preemptible machine (spot capacity can vanish at short notice).</summary>
    public bool AllowPreemptible { get; init; } = true;

    /// <summary>A pending task with only the spec: default duration, no deadline, priority 0, no group.</summary>
    public static PendingTask For(TaskSpec spec) => new() { Spec = spec };
}
