namespace DcOs.Core.Placement;

/// <summary>One batch to place: pending tasks, the capacity they may use, and what to optimize.</summary>
public sealed record PlacementProblem
{
    /// <summary>The tasks to place; ids must be distinct.</summary>
    public required IReadOnlyList<PendingTask> Tasks { get; init; }

    /// <summary>The capacity, one entry per agent; agent ids must be distinct.</summary>
    public required IReadOnlyList<PlacementMachine> Machines { get; init; }

    /// <summary>How the machines are paid for: what the cost term minimizes and the plan's bill reports. Default <see cref="BillingMode.Machine"/>.</summary>
    public BillingMode Billing { get; init; } = BillingMode.Machine;

    /// <summary>What to minimize; <see cref="PlacementObjective.Cheapest"/> by default.</summary>
    public PlacementObjective Objective { get; init; } = PlacementObjective.Cheapest;

    /// <summary>
    /// Where each group's tasks already run (one entry per running task), so UNIQUE, CLUSTER, GROUP_BY and MAX_PER
    /// count them; keyed by <see cref="PendingTask.Group"/>.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IPlacementTarget>> GroupPlacements { get; init; } =
        new Dictionary<string, IReadOnlyList<IPlacementTarget>>();
}
