using DcOs.Core.Placement;

namespace DcOs.Optimization.Internal;

/// <summary>What a solver reports besides the assignment it wrote.</summary>
internal sealed record SolverOutcome
{
    public required OptimizerAlgorithm Algorithm { get; init; }

    public required SolveStatus Status { get; init; }

    public required string SolverStatus { get; init; }

    public int ModelSize { get; init; }

    public int Rounds { get; init; }

    /// <summary>The scaled objective of the final plan, penalties included (0 for greedy).</summary>
    public long Objective { get; init; }

    /// <summary>What one task left out adds to <see cref="Objective"/> (0 for greedy): a plan changed afterwards is scored with it, so the bound still applies.</summary>
    public long PenaltyUnit { get; init; }

    /// <summary>A proven lower bound on <see cref="Objective"/>'s scale, or null.</summary>
    public long? Bound { get; init; }

    /// <summary>(objective - bound) / objective, or null without a bound.</summary>
    public double? Gap => Bound is { } bound
        ? Objective <= 0 ? 0 : Math.Max(0, (Objective - bound) / (double)Objective)
        : null;
}
