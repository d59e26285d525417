namespace DcOs.Core.Placement;

/// <summary>
/// The goals a placement can pursue. Each maps to one term of the optimizer's objective (see
/// <see cref="PlacementObjective"/>), so they can be used alone or combined with weights.
/// </summary>
public enum ObjectiveKind
{
    /// <summary>Minimum total cost: each task pays its price per hour on the machine for its runtime there.</summary>
    Cheapest,

    /// <summary>Earliest completion: minimum total runtime, so work goes to fast machines.</summary>
    Fastest,

    /// <summary>Minimum total cost among placements in which every task finishes by its deadline.</summary>
    CheapestWithinDeadline,

    /// <summary>Fewest and cheapest idle machines put to use, so the others can be released.</summary>
    Pack,

    /// <summary>Fewest tasks sharing a machine: the number of task pairs on a common machine is minimized.</summary>
    Spread,
}
