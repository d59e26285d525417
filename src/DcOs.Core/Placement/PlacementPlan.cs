namespace DcOs.Core.Placement;

/// <summary>The optimizer's answer: where each task goes, what it costs, when it finishes, and how good the plan is.</summary>
public sealed record PlacementPlan
{
    /// <summary>The objective the plan minimizes.</summary>
    public required PlacementObjective Objective { get; init; }

    /// <summary>Placed tasks, in task order.</summary>
    public required IReadOnlyList<TaskAssignment> Assignments { get; init; }

    /// <summary>Tasks left out, in task order, each with its reason.</summary>
    public required IReadOnlyList<UnplacedTask> Unplaced { get; init; }

    /// <summary>The sum of <see cref="TaskAssignment.Cost"/>: what the placed tasks add to the bill until they finish (<see cref="PlanBill.Total"/>).</summary>
    public required double TotalCost { get; init; }

    /// <summary>What the plan costs as the machines bill it: per hour, until its tasks finish, the machines it switches on, a lower bound and the gap.</summary>
    public required PlanBill Bill { get; init; }

    /// <summary>When the last placed task should finish (now when nothing is placed).</summary>
    public required DateTimeOffset EstimatedCompletion { get; init; }

    /// <summary>How many machines receive at least one task.</summary>
    public required int MachinesUsed { get; init; }

    /// <summary>How many idle machines the plan starts using (the ones <see cref="ObjectiveKind.Pack"/> minimizes).</summary>
    public required int IdleMachinesUsed { get; init; }

    /// <summary>
    /// The weighted objective of the placed tasks, each term in units of its largest value in the problem (see
    /// <see cref="PlacementObjective"/>); lower is better, comparable only between plans of the same problem.
    /// </summary>
    public required double ObjectiveValue { get; init; }

    /// <summary>
    /// (plan - best bound) / plan on the solver's integer objective, which includes the penalty of tasks left out for
    /// lack of capacity: 0 when proven optimal, null when no bound is known (greedy baselines, pack by flow heuristic).
    /// </summary>
    public required double? OptimalityGap { get; init; }

    /// <summary>How the plan was found.</summary>
    public required SolveStatistics Statistics { get; init; }
}
