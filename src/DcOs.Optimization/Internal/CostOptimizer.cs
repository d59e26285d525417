using System.Diagnostics;
using DcOs.Core.Placement;

namespace DcOs.Optimization.Internal;

/// <summary>
/// The <see cref="IPlacementOptimizer"/>: validates, compiles, picks the algorithm, runs it, explains what is left out.
/// Stateless apart from its options, so one instance serves concurrent callers.
/// </summary>
internal sealed class CostOptimizer(OptimizerOptions options) : IPlacementOptimizer
{
    public PlacementPlan Solve(PlacementProblem problem, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var start = Stopwatch.GetTimestamp();
        var now = options.TimeProvider.GetUtcNow();
        ProblemValidator.Validate(problem, now);
        cancellationToken.ThrowIfCancellationRequested();
        var p = ProblemCompiler.Compile(problem, options, now);
        var state = new MachineState(p);
        var tracker = new GroupTracker(p);
        var assignment = new int[p.Tasks.Length];
        Array.Fill(assignment, -1);

        var algorithm = Choose(p);
        SolverOutcome outcome;
        if (p.Tasks.Length == 0 || p.M == 0 || !p.Placeable.Any(x => x))
        {
            outcome = new SolverOutcome { Algorithm = algorithm, Status = SolveStatus.Optimal, SolverStatus = "TRIVIAL", Bound = 0 };
        }
        else
        {
            outcome = algorithm switch
            {
                OptimizerAlgorithm.CpSat => CpSatSolver.Solve(p, state, tracker, assignment, cancellationToken),
                OptimizerAlgorithm.FirstFit => Greedy(p, state, tracker, assignment, GreedyMode.FirstFit, algorithm, cancellationToken),
                OptimizerAlgorithm.BestFit => Greedy(p, state, tracker, assignment, GreedyMode.BestFit, algorithm, cancellationToken),
                _ => FlowSolver.Solve(p, state, tracker, assignment, cancellationToken),
            };
        }
        cancellationToken.ThrowIfCancellationRequested();
        int[]?[]? devices = null;
        if (p.HasGpuDevices) (state, devices) = DevicePacking.Repair(p, assignment, cancellationToken);
        return PlanBuilder.Build(p, assignment, state, outcome, Stopwatch.GetElapsedTime(start), devices);
    }

    /// <summary>
    /// Auto: the flow for linear objectives; CP-SAT for pack (its class relaxation scales with classes, not machines)
    /// and for group constraints or pack with spread while the per-machine model stays small enough.
    /// </summary>
    private OptimizerAlgorithm Choose(CompiledProblem p)
    {
        if (options.Algorithm != OptimizerAlgorithm.Auto) return options.Algorithm;
        if (!p.HasFixedCharges && !p.HasDynamicConstraints) return OptimizerAlgorithm.MinCostFlow;
        if (!p.HasDynamicConstraints && p.SpreadUnit == 0) return OptimizerAlgorithm.CpSat;
        return Pairs(p) <= options.CpSatMaxPairs ? OptimizerAlgorithm.CpSat : OptimizerAlgorithm.MinCostFlow;
    }

    /// <summary>How many (class, machine) variables the CP-SAT model would have, counted by machine class.</summary>
    internal static long Pairs(CompiledProblem p)
    {
        var classes = MachineClassSet.Build(p.D, p.StaticKeyOfMachine, p.InitiallyIdle, p.InitialFree, p.InitialNonScalar, null, Enumerable.Range(0, p.M), p.InitialGpuFree, p.GpuModels);
        long pairs = 0;
        for (var k = 0; k < classes.Count; k++)
        {
            var rep = classes.Representative(k);
            for (var c = 0; c < p.Classes.Length; c++)
            {
                if (p.Placeable[c] && p.Allowed(c, rep) && p.Fit(c, p.InitialFree, rep, p.InitialNonScalar, p.InitialGpuFree) > 0) pairs += classes.Members[k].Count;
            }
        }
        return pairs;
    }

    private static SolverOutcome Greedy(
        CompiledProblem p, MachineState state, GroupTracker tracker, int[] assignment, GreedyMode mode, OptimizerAlgorithm algorithm, CancellationToken cancellationToken)
    {
        var tasks = Enumerable.Range(0, p.Tasks.Length).Where(t => p.Placeable[p.ClassOfTask[t]]);
        GreedySolver.Run(p, state, tracker, GreedySolver.ByPriority(p, tasks), mode, assignment, cancellationToken);
        return new SolverOutcome
        {
            Algorithm = algorithm,
            Status = SolveStatus.Feasible,
            SolverStatus = "GREEDY",
            Objective = PlanScore.Scaled(p, assignment, 0),
        };
    }
}
