namespace DcOs.Core.Placement;

/// <summary>How a plan was found: which algorithm, how big the model was, how long it took.</summary>
public sealed record SolveStatistics
{
    /// <summary>The algorithm that produced the plan (after <see cref="OptimizerAlgorithm.Auto"/> chose one).</summary>
    public required OptimizerAlgorithm Algorithm { get; init; }

    /// <summary>Whether the plan is proven optimal, feasible with a gap, or the greedy fallback.</summary>
    public required SolveStatus Status { get; init; }

    /// <summary>
    /// The underlying solver's status: the flow's ("OPTIMAL", "OPTIMAL_WITH_CLASS_LP" when the class LP routed a
    /// round), CP-SAT's ("OPTIMAL", "FEASIBLE", "UNKNOWN", or "RELAXATION_..." when the class relaxation sufficed),
    /// or "GREEDY" for the baselines.
    /// </summary>
    public required string SolverStatus { get; init; }

    /// <summary>Wall-clock time of the whole solve, validation included.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Distinct task classes (identical tasks aggregated).</summary>
    public required int TaskClasses { get; init; }

    /// <summary>Distinct machine classes in the first round (identical machines aggregated).</summary>
    public required int MachineClasses { get; init; }

    /// <summary>Flow arcs (min-cost flow) or variables (CP-SAT) in the largest model built; 0 for greedy.</summary>
    public required int ModelSize { get; init; }

    /// <summary>Min-cost flow rounds (the first places most tasks; later ones repair what did not fit exactly).</summary>
    public required int Rounds { get; init; }

    /// <summary>The solver's integer objective of the plan (penalties included); 0 for greedy.</summary>
    public required long SolverObjective { get; init; }

    /// <summary>The best lower bound on that objective, when the solver proves one.</summary>
    public required long? SolverBound { get; init; }
}
