namespace DcOs.Core.Placement;

/// <summary>Which search the optimizer runs.</summary>
public enum OptimizerAlgorithm
{
    /// <summary>
    /// Min-cost flow over task and machine classes for linear objectives (cost, time, spread); CP-SAT when the
    /// objective has fixed machine costs (pack) or a task has a constraint a flow cannot express (UNIQUE, CLUSTER,
    /// GROUP_BY, MAX_PER); for the latter (and for pack with spread) only while the model stays under
    /// <c>OptimizerOptions.CpSatMaxPairs</c> (DcOs.Optimization), the flow with a greedy repair otherwise.
    /// </summary>
    Auto,

    /// <summary>OR-Tools min-cost flow over equivalence classes (Quincy/Firmament), then exact assignment and repair.</summary>
    MinCostFlow,

    /// <summary>OR-Tools CP-SAT with a time limit, a greedy hint, and the gap from the solver's bound.</summary>
    CpSat,

    /// <summary>Baseline: each task, by priority then input order, on the first machine (input order) where it fits.</summary>
    FirstFit,

    /// <summary>Baseline: each task, by priority then input order, on the machine it leaves with the least free room.</summary>
    BestFit,
}
