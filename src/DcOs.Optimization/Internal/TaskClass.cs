namespace DcOs.Optimization.Internal;

/// <summary>
/// Tasks the objective cannot tell apart (same shape, priority, constraints, group, and, when the objective reads them,
/// duration and deadline), aggregated so the flow has one node per class instead of one per task.
/// </summary>
internal sealed class TaskClass
{
    public required int Index { get; init; }

    /// <summary>Task indices, ascending.</summary>
    public required int[] Members { get; init; }

    public required int Shape { get; init; }

    public required int Priority { get; init; }

    /// <summary>Reference duration in hours (at speed 1) of the first member.</summary>
    public required double RefHours { get; init; }

    /// <summary>No duration nor work was given (a service): it is paid per hour of the horizon, and a faster machine does not shorten that.</summary>
    public required bool LongRunning { get; init; }

    public required DateTimeOffset? Deadline { get; init; }

    public required bool AllowPreemptible { get; init; }

    public required int ConstraintSet { get; init; }

    /// <summary>The group whose dynamic constraints apply, or -1.</summary>
    public required int Group { get; init; }

    public int Count => Members.Length;

    /// <summary>What leaving one task of the class out weighs: 1 + priority.</summary>
    public long Weight => 1L + Priority;
}
