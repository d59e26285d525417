namespace DcOs.Core.Placement;

/// <summary>How good a plan is known to be.</summary>
public enum SolveStatus
{
    /// <summary>Proven optimal for the objective (the gap is zero).</summary>
    Optimal,

    /// <summary>A valid plan; <see cref="PlacementPlan.OptimalityGap"/> bounds its distance to the optimum when known.</summary>
    Feasible,

    /// <summary>The solver ended (time limit, cancellation, numeric range) without a plan; the greedy fallback was used.</summary>
    Fallback,
}
