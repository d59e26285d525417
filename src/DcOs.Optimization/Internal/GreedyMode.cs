namespace DcOs.Optimization.Internal;

/// <summary>How the greedy placer picks among the machines a task fits on.</summary>
internal enum GreedyMode
{
    /// <summary>The first in machine order.</summary>
    FirstFit,

    /// <summary>The one left with the least free room (normalized per dimension).</summary>
    BestFit,

    /// <summary>The one adding least to the objective (pack cost amortized over the tasks that fit); the CP-SAT hint and the fallback.</summary>
    CostAware,
}
