namespace DcOs.Core.Placement;

/// <summary>
/// Places a batch of tasks on machines at least cost for the chosen objective. Both the framework-side
/// <c>OfferPlanner</c> (DcOs.Framework) and the master's centralized batch placement call it.
/// </summary>
public interface IPlacementOptimizer
{
    /// <summary>
    /// Solves <paramref name="problem"/>. Infeasible tasks come back in <see cref="PlacementPlan.Unplaced"/> with a
    /// reason; only invalid input throws. The same input (and clock) gives the same plan.
    /// </summary>
    /// <remarks>
    /// <paramref name="cancellationToken"/> abandons the solve (a running CP-SAT search is stopped at once); to bound
    /// the time and still get a plan, use <c>OptimizerOptions.TimeLimit</c> (DcOs.Optimization).
    /// </remarks>
    /// <exception cref="DcOs.Core.ValidationException">A field is invalid (NaN or negative numbers, a deadline in the past, ...); the field is named.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    PlacementPlan Solve(PlacementProblem problem, CancellationToken cancellationToken = default);
}
