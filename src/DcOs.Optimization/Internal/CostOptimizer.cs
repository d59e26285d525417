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
        int[]?[]? devices;
        if (algorithm is OptimizerAlgorithm.CpSat or OptimizerAlgorithm.MinCostFlow) (state, outcome, devices) = PlaceAtLeastAsMany(p, state, assignment, outcome, cancellationToken);
        else (state, devices) = Finish(p, state, assignment, cancellationToken);
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

    /// <summary>
    /// Placement comes first, and a solver stopped by its time limit (or a flow rounding its classes) may place less
    /// than a plain greedy pass would. When the plan leaves tasks out, the cost-aware greedy first tries them in the
    /// room the plan leaves; if tasks are still out, first-fit and (below <see cref="BestFitMaxPairs"/>) best-fit run
    /// from scratch, and a plan of theirs that places more weight replaces the solver's (its bill is then theirs, which
    /// the solver status says). Tasks still out then get room made by moving a few planned tasks (<see cref="EjectionRepair"/>).
    /// </summary>
    private static (MachineState, SolverOutcome, int[]?[]?) PlaceAtLeastAsMany(CompiledProblem p, MachineState state, int[] assignment, SolverOutcome outcome, CancellationToken cancellationToken)
    {
        // Plans are compared as they will be returned: replayed per device first, since that may drop tasks.
        var (finalState, devices) = Finish(p, state, assignment, cancellationToken);
        var placeable = Enumerable.Range(0, p.Tasks.Length).Where(t => p.Placeable[p.ClassOfTask[t]]).ToList();
        var all = placeable.Sum(t => p.Classes[p.ClassOfTask[t]].Weight);
        var placed = PlacedWeight(p, assignment);
        if (placed == all) return (finalState, outcome, devices);
        // A plan changed here is scored on the solver's scale, so its bound (a bound on every plan) still applies.
        var penalty = outcome.PenaltyUnit > 0 ? outcome.PenaltyUnit : CpSatSolver.PenaltyUnit(p, new MachineState(p), [.. Enumerable.Range(0, p.Classes.Length).Where(c => p.Placeable[c])]);

        // First what the solver left out, cost-aware, into the room its plan leaves.
        var repaired = (int[])assignment.Clone();
        var tracker = new GroupTracker(p);
        for (var t = 0; t < repaired.Length; t++)
        {
            if (repaired[t] >= 0) tracker.Place(p.ClassOfTask[t], repaired[t]);
        }
        var fill = finalState.Clone();
        GreedySolver.Run(p, fill, tracker, GreedySolver.ByPriorityThenSize(p, placeable.Where(t => repaired[t] < 0)), GreedyMode.CostAware, repaired, cancellationToken);
        var (repairedState, repairedDevices) = Finish(p, fill, repaired, cancellationToken);
        if (PlacedWeight(p, repaired) > placed)
        {
            repaired.CopyTo(assignment, 0);
            (finalState, devices, placed) = (repairedState, repairedDevices, PlacedWeight(p, repaired));
            outcome = outcome with
            {
                Status = SolveStatus.Feasible,
                SolverStatus = outcome.SolverStatus + "+REPAIR",
                Objective = PlanScore.Scaled(p, assignment, penalty),
                Bound = BoundFor(outcome, PlanScore.Scaled(p, assignment, penalty)),
            };
        }
        // Best-fit scans every machine for every task: past BestFitMaxPairs it costs more than the solve itself.
        GreedyMode[] modes = (long)placeable.Count * p.M <= BestFitMaxPairs ? [GreedyMode.FirstFit, GreedyMode.BestFit] : [GreedyMode.FirstFit];
        foreach (var mode in modes)
        {
            if (placed == all) break;
            var s = new MachineState(p);
            var other = CpSatSolver.NewPlan(p);
            GreedySolver.Run(p, s, new GroupTracker(p), GreedySolver.ByPriority(p, placeable), mode, other, cancellationToken);
            var (otherState, otherDevices) = Finish(p, s, other, cancellationToken);
            var weight = PlacedWeight(p, other);
            if (weight <= placed) continue;
            other.CopyTo(assignment, 0);
            (finalState, devices, placed) = (otherState, otherDevices, weight);
            outcome = outcome with
            {
                Status = SolveStatus.Feasible,
                SolverStatus = outcome.SolverStatus + "+" + (mode == GreedyMode.FirstFit ? "FIRST_FIT" : "BEST_FIT"),
                Objective = PlanScore.Scaled(p, assignment, penalty),
                // The solver's bound was on its own scale; the greedy plan is not measured against it.
                Bound = null,
            };
        }
        if (placed < all && EjectionRepair.Run(p, finalState, assignment, devices, cancellationToken) > 0)
        {
            outcome = outcome with
            {
                Status = SolveStatus.Feasible,
                SolverStatus = outcome.SolverStatus + "+EJECT",
                Objective = PlanScore.Scaled(p, assignment, penalty),
                Bound = BoundFor(outcome, PlanScore.Scaled(p, assignment, penalty)),
            };
        }
        return (finalState, outcome, devices);
    }

    /// <summary>The solver's bound for a plan it did not find: still a bound on every plan, at most that plan's objective.</summary>
    private static long? BoundFor(SolverOutcome outcome, long objective) => outcome.Bound is { } b ? Math.Min(b, objective) : null;

    /// <summary>The plan as it is returned: replayed per GPU device when tasks are placed per device (which may drop and re-place tasks), else as it is.</summary>
    private static (MachineState, int[]?[]?) Finish(CompiledProblem p, MachineState state, int[] assignment, CancellationToken cancellationToken) =>
        p.HasGpuDevices ? DevicePacking.Repair(p, assignment, cancellationToken) : (state, null);

    /// <summary>Tasks times machines up to which the placement guard also runs best-fit (about a second of scanning).</summary>
    private const long BestFitMaxPairs = 100_000_000;

    private static long PlacedWeight(CompiledProblem p, int[] assignment)
    {
        long weight = 0;
        for (var t = 0; t < assignment.Length; t++)
        {
            if (assignment[t] >= 0) weight += p.Classes[p.ClassOfTask[t]].Weight;
        }
        return weight;
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
