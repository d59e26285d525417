using System.Globalization;
using DcOs.Core;
using DcOs.Core.Placement;
using Google.OrTools.Sat;

namespace DcOs.Optimization.Internal;

/// <summary>
/// CP-SAT, for what a flow cannot express: fixed machine costs (pack) and UNIQUE, CLUSTER, GROUP_BY and MAX_PER.
/// Steps: (1) the cost-aware greedy plan, always valid; (2) without group constraints or spread, the class relaxation
/// (<see cref="ClassRelaxation"/>): a tight bound and a plan packed machine class by machine class; (3) unless that
/// is already within <see cref="OptimizerOptions.RelativeGapLimit"/>, the per-machine model, hinted with the best
/// plan so far: one integer n[c, m] per task class and machine, one slack u[c] per class (tasks left out), capacity
/// rows per machine and dimension (tied to a used[m] literal for idle machines when packing), symmetry breaking among
/// identical idle machines, and group constraints as counts per attribute value. The best plan wins; the gap is
/// measured against the best bound of either model. Without any CP-SAT solution, the greedy plan is returned.
/// </summary>
internal static class CpSatSolver
{
    /// <summary>Share of the time limit given to the class relaxation (and again to packing its plan); the full model gets the rest.</summary>
    private const double RelaxationShare = 0.2;

    public static SolverOutcome Solve(CompiledProblem p, MachineState state, GroupTracker tracker, int[] assignment, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var limit = p.Options.TimeLimit.TotalSeconds;
        var classes = new List<int>();
        var tasks = new List<int>();
        for (var c = 0; c < p.Classes.Length; c++)
        {
            if (!p.Placeable[c]) continue;
            classes.Add(c);
            tasks.AddRange(p.Classes[c].Members);
        }
        var penaltyUnit = PenaltyUnit(p, state, classes);

        // The starting plan: cost-aware greedy, always valid.
        var best = NewPlan(p);
        GreedySolver.Run(p, state.Clone(), tracker.Clone(), GreedySolver.ByPriorityThenSize(p, tasks), GreedyMode.CostAware, best, cancellationToken);
        var bestScore = PlanScore.Scaled(p, best, penaltyUnit);
        long? bound = null;
        var solvedByCpSat = false;
        var statusText = "NOT_RUN";
        var modelSize = 0;

        // Without group constraints or spread, machines of one class are interchangeable: the class relaxation gives a
        // much tighter bound than the LP of the full model, and its plan, packed machine by machine, a better start.
        var relaxed = !p.HasDynamicConstraints && p.SpreadUnit == 0;
        if (relaxed)
        {
            var relaxation = ClassRelaxation.Solve(p, state, tracker, classes, penaltyUnit, best, limit * RelaxationShare, cancellationToken);
            bound = relaxation.Bound;
            statusText = "RELAXATION_" + relaxation.Status.ToString().ToUpperInvariant();
            modelSize = relaxation.Variables;
            if (relaxation.Plan is { } plan)
            {
                solvedByCpSat = true;
                var score = PlanScore.Scaled(p, plan, penaltyUnit);
                if (score < bestScore)
                {
                    best = plan;
                    bestScore = score;
                }
            }
        }

        var closeEnough = bound is { } b0 && bestScore - b0 <= p.Options.RelativeGapLimit * bestScore;
        if (!closeEnough && !cancellationToken.IsCancellationRequested && CostOptimizer.Pairs(p) <= p.Options.CpSatMaxPairs)
        {
            // The relaxation and its packing each had a share of the budget; the full model gets the rest.
            var spent = relaxed ? 2 * RelaxationShare * limit : 0;
            var seconds = p.Options.Deterministic ? limit - spent : Math.Max(0.05, limit - clock.Elapsed.TotalSeconds);
            var built = Build(p, state, tracker, classes, best, penaltyUnit);
            modelSize = built.Entries.Count;
            var full = NewPlan(p);
            var (status, fullBound) = Run(built.Model, p.Options, seconds, solver => Read(p, built, solver, full), cancellationToken);
            statusText = status.ToString().ToUpperInvariant();
            if (fullBound is { } fb) bound = bound is { } rb ? Math.Max(rb, fb) : fb;
            if (status is CpSolverStatus.Optimal or CpSolverStatus.Feasible && Valid(p, state, full))
            {
                solvedByCpSat = true;
                var score = PlanScore.Scaled(p, full, penaltyUnit);
                if (score < bestScore)
                {
                    best = full;
                    bestScore = score;
                }
            }
        }

        // Apply the chosen plan to the real state, in task order.
        for (var t = 0; t < best.Length; t++)
        {
            var m = best[t];
            if (m < 0) continue;
            var c = p.ClassOfTask[t];
            state.Place(c, m);
            tracker.Place(c, m);
            assignment[t] = m;
        }
        var objective = PlanScore.Scaled(p, assignment, penaltyUnit);
        bound = bound is { } bb ? Math.Min(bb, objective) : null;
        return new SolverOutcome
        {
            Algorithm = OptimizerAlgorithm.CpSat,
            PenaltyUnit = penaltyUnit,
            Status = bound >= objective ? SolveStatus.Optimal : solvedByCpSat ? SolveStatus.Feasible : SolveStatus.Fallback,
            SolverStatus = statusText,
            ModelSize = modelSize,
            Rounds = 1,
            Objective = objective,
            Bound = bound,
        };
    }

    internal static int[] NewPlan(CompiledProblem p)
    {
        var plan = new int[p.Tasks.Length];
        Array.Fill(plan, -1);
        return plan;
    }

    /// <summary>
    /// Runs CP-SAT on <paramref name="model"/>; <paramref name="read"/> reads the solution while the solver is alive.
    /// Never throws for a valid problem: a native or model error comes back as <see cref="CpSolverStatus.ModelInvalid"/>.
    /// </summary>
    internal static (CpSolverStatus Status, long? Bound) Run(CpModel model, OptimizerOptions options, double seconds, Action<CpSolver> read, CancellationToken cancellationToken)
    {
        try
        {
            using var solver = new CpSolver { StringParameters = Parameters(options, seconds) };
            CpSolverStatus status;
            using (cancellationToken.Register(solver.StopSearch))
            {
                status = solver.Solve(model, null);
            }
            if (status is CpSolverStatus.Optimal or CpSolverStatus.Feasible) read(solver);
            var best = solver.BestObjectiveBound;
            long? bound = null;
            // The objective is integral, so any bound rounds up; the epsilon absorbs floating-point noise in the bound.
            if (status != CpSolverStatus.ModelInvalid && double.IsFinite(best) && Math.Abs(best) < 9e18)
                bound = (long)Math.Ceiling(best - 1e-6 * Math.Max(1, Math.Abs(best) * 1e-9));
            return (status, bound);
        }
        catch (Exception e) when (e is ApplicationException or InvalidOperationException or ArgumentException)
        {
            return (CpSolverStatus.ModelInvalid, null);
        }
    }

    private static string Parameters(OptimizerOptions o, double seconds)
    {
        var text = o.Deterministic
            ? $"num_workers:1 max_deterministic_time:{F(seconds)} max_time_in_seconds:{F(Math.Max(seconds * 4, seconds + 2))}"
            : $"num_workers:{o.Workers} max_time_in_seconds:{F(seconds)}";
        return text + $" relative_gap_limit:{F(o.RelativeGapLimit)} random_seed:1 log_search_progress:false";

        static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// What leaving one task (of weight 1) out costs: more than the whole objective of any plan, so placing tasks
    /// always comes first (every placement cost, every idle machine's pack cost, every possible pair on a machine).
    /// </summary>
    internal static long PenaltyUnit(CompiledProblem p, MachineState state, List<int> classes)
    {
        long unit = 1;
        var most = new long[p.M];
        foreach (var c in classes)
        {
            long maxArc = 0;
            for (var m = 0; m < p.M; m++)
            {
                if (!p.Allowed(c, m)) continue;
                var fit = state.Fit(c, m);
                if (fit == 0) continue;
                maxArc = Math.Max(maxArc, p.Arc(c, m));
                most[m] += Math.Min(fit, p.Classes[c].Count);
            }
            unit += maxArc * p.Classes[c].Count;
        }
        for (var m = 0; m < p.M; m++)
        {
            if (most[m] == 0) continue;
            if (state.IsIdle(m)) unit += p.PackCost[p.ProfileOfMachine[m]];
            unit += p.SpreadUnit / 2 * most[m] * (most[m] - 1);
        }
        // Keep every task's penalty, summed, well inside 64 bits (CP-SAT refuses overflowing objectives). Only huge
        // problems reach the cap, where leaving a task out is then merely very expensive, not lexicographically last.
        long weight = 0;
        foreach (var c in classes) weight += p.Classes[c].Weight * p.Classes[c].Count;
        return Math.Clamp(unit, 1, (long.MaxValue >> 4) / Math.Max(1, weight));
    }

    /// <summary>Whether <paramref name="plan"/> fits every machine (a guard on reading solver values; the model guarantees it).</summary>
    private static bool Valid(CompiledProblem p, MachineState state, int[] plan)
    {
        var copy = state.Clone();
        for (var t = 0; t < plan.Length; t++)
        {
            if (plan[t] < 0) continue;
            if (copy.Fit(p.ClassOfTask[t], plan[t]) == 0) return false;
            copy.Place(p.ClassOfTask[t], plan[t]);
        }
        return true;
    }

    private sealed record Entry(int Class, int Machine, IntVar Var, int Max);

    private sealed class Built
    {
        public CpModel Model { get; } = new();

        public List<Entry> Entries { get; } = [];

    }

    private static Built Build(CompiledProblem p, MachineState state, GroupTracker tracker, List<int> classes, int[] hint, long penaltyUnit)
    {
        var built = new Built();
        var model = built.Model;
        var entries = built.Entries;
        var byMachine = new List<int>?[p.M];
        var byClass = new List<int>[p.Classes.Length];
        var hintCount = new Dictionary<(int, int), int>();
        for (var t = 0; t < hint.Length; t++)
        {
            if (hint[t] >= 0) hintCount[(p.ClassOfTask[t], hint[t])] = hintCount.GetValueOrDefault((p.ClassOfTask[t], hint[t])) + 1;
        }

        foreach (var c in classes)
        {
            byClass[c] = [];
            var count = p.Classes[c].Count;
            for (var m = 0; m < p.M; m++)
            {
                if (!p.Allowed(c, m)) continue;
                var fit = state.Fit(c, m);
                if (fit == 0) continue;
                var max = Math.Min(count, fit);
                IntVar v = max == 1 ? model.NewBoolVar("") : model.NewIntVar(0, max, "");
                byClass[c].Add(entries.Count);
                (byMachine[m] ??= []).Add(entries.Count);
                entries.Add(new Entry(c, m, v, max));
                model.AddHint(v, hintCount.GetValueOrDefault((c, m)));
            }
        }

        var objective = LinearExpr.NewBuilder(entries.Count + classes.Count + p.M);

        // Placement cost, and the per-class balance with its "left out" slack.
        foreach (var c in classes)
        {
            foreach (var e in byClass[c])
            {
                var arc = p.Arc(c, entries[e].Machine);
                if (arc != 0) objective.AddTerm(entries[e].Var, arc);
            }
        }

        var used = new BoolVar?[p.M];
        var pack = p.HasFixedCharges;
        for (var m = 0; m < p.M; m++)
        {
            var list = byMachine[m];
            if (list is null) continue;
            if (pack && state.IsIdle(m) && p.PackCost[p.ProfileOfMachine[m]] > 0)
            {
                var u = model.NewBoolVar("");
                used[m] = u;
                var packCost = p.PackCost[p.ProfileOfMachine[m]];
                objective.AddTerm(u, packCost);
                var hinted = false;
                foreach (var e in list) hinted |= hintCount.ContainsKey((entries[e].Class, m));
                model.AddHint(u, hinted);
            }
            // Capacity per dimension; tied to used[m] so an unused machine holds nothing (a tighter LP for packing).
            for (var d = 0; d < p.D; d++)
            {
                var row = LinearExpr.NewBuilder(list.Count + 1);
                long most = 0;
                var any = false;
                foreach (var e in list)
                {
                    var need = p.ClassDemand[entries[e].Class * p.D + d];
                    if (need == 0) continue;
                    row.AddTerm(entries[e].Var, need);
                    most += need * entries[e].Max;
                    any = true;
                }
                if (!any) continue;
                var free = state.Free[m * p.D + d];
                if (used[m] is { } usedVar)
                {
                    row.AddTerm(usedVar, -free);
                    model.Add(row <= 0);
                }
                else if (most > free)
                {
                    model.Add(row <= free);
                }
            }
            if (p.HasNonScalar)
            {
                var withPorts = list.Where(e => p.Shapes[p.Classes[entries[e].Class].Shape].NonScalar is not null).ToList();
                if (withPorts.Count > 1) model.Add(LinearExpr.Sum(withPorts.Select(e => (LinearExpr)entries[e].Var)) <= 1);
            }
            if (p.SpreadUnit > 0)
            {
                var most = list.Sum(e => (long)entries[e].Max);
                if (most >= 2)
                {
                    var load = model.NewIntVar(0, most, "");
                    model.Add(load == LinearExpr.Sum(list.Select(e => (LinearExpr)entries[e].Var)));
                    var square = model.NewIntVar(0, most * most, "");
                    model.AddMultiplicationEquality(square, load, load);
                    var half = p.SpreadUnit / 2;
                    objective.AddTerm(square, half).AddTerm(load, -half);
                }
            }
        }

        // Symmetry: identical idle machines are used in index order (valid when no group constraint tells them apart).
        if (pack && !p.HasDynamicConstraints)
        {
            var idle = state.IdleNow();
            var candidates = Enumerable.Range(0, p.M).Where(m => used[m] is not null);
            var twins = MachineClassSet.Build(p.D, p.StaticKeyOfMachine, idle, state.Free, state.NonScalar, null, candidates, state.Gpu, p.GpuModels);
            foreach (var members in twins.Members)
            {
                for (var i = 1; i < members.Count; i++) model.Add(used[members[i - 1]]! >= used[members[i]]!);
            }
        }

        AddGroupConstraints(p, tracker, built, byMachine);

        foreach (var c in classes)
        {
            var count = p.Classes[c].Count;
            var slack = model.NewIntVar(0, count, "");
            var placedHint = 0;
            var sum = LinearExpr.NewBuilder(byClass[c].Count + 1);
            foreach (var e in byClass[c])
            {
                sum.Add(entries[e].Var);
                placedHint += hintCount.GetValueOrDefault((c, entries[e].Machine));
            }
            sum.Add(slack);
            model.Add(sum == count);
            model.AddHint(slack, count - placedHint);
            objective.AddTerm(slack, penaltyUnit * p.Classes[c].Weight);
        }
        model.Minimize(objective);
        return built;
    }

    /// <summary>UNIQUE, MAX_PER, CLUSTER and GROUP_BY as limits on each group's task count per attribute value.</summary>
    private static void AddGroupConstraints(CompiledProblem p, GroupTracker tracker, Built built, List<int>?[] byMachine)
    {
        var model = built.Model;
        var entries = built.Entries;
        for (var g = 0; g < p.Groups.Length; g++)
        {
            var group = p.Groups[g];
            foreach (var constraint in group.Dynamic)
            {
                var values = tracker.ValuesOf(constraint.Field);
                // The group's variables, by the field's value on their machine, in first-seen order (deterministic).
                var byValue = new Dictionary<string, List<int>>(StringComparer.Ordinal);
                var valueOrder = new List<string>();
                for (var m = 0; m < p.M; m++)
                {
                    if (byMachine[m] is not { } list || values[m] is not { } value) continue;
                    foreach (var e in list)
                    {
                        if (p.Classes[entries[e].Class].Group != g) continue;
                        if (!byValue.TryGetValue(value, out var vars))
                        {
                            byValue[value] = vars = [];
                            valueOrder.Add(value);
                        }
                        vars.Add(e);
                    }
                }
                var existing = new Dictionary<string, int>(StringComparer.Ordinal);
                var existingMissing = 0;
                foreach (var placed in group.Existing)
                {
                    if (PlacementConstraint.FieldValue(placed, constraint.Field) is { } v) existing[v] = existing.GetValueOrDefault(v) + 1;
                    else existingMissing++;
                }
                LinearExpr Count(string value) => LinearExpr.Sum(byValue[value].Select(e => (LinearExpr)entries[e].Var));
                long Upper(string value) => byValue[value].Sum(e => (long)entries[e].Max);

                switch (constraint.Operator)
                {
                    case ConstraintOperator.Unique:
                        foreach (var v in valueOrder) model.Add(Count(v) <= Math.Max(0, 1 - existing.GetValueOrDefault(v)));
                        break;
                    case ConstraintOperator.MaxPer:
                        var limit = int.Parse(constraint.Value!, CultureInfo.InvariantCulture);
                        foreach (var v in valueOrder) model.Add(Count(v) <= Math.Max(0, limit - existing.GetValueOrDefault(v)));
                        break;
                    case ConstraintOperator.Cluster:
                        if (group.Existing.Count > 0)
                        {
                            // Already clustered somewhere: only that value (or nothing if the group is already split).
                            var only = existingMissing == 0 && existing.Count == 1 ? existing.Keys.First() : null;
                            foreach (var v in valueOrder)
                            {
                                if (v != only) model.Add(Count(v) == 0);
                            }
                        }
                        else
                        {
                            var chosen = new List<ILiteral>();
                            foreach (var v in valueOrder)
                            {
                                var y = model.NewBoolVar("");
                                chosen.Add(y);
                                model.Add(Count(v) <= Upper(v) * (LinearExpr)y);
                            }
                            model.AddAtMostOne(chosen);
                        }
                        break;
                    case ConstraintOperator.GroupBy:
                        AddGroupBy(model, constraint, valueOrder, existing, existingMissing, Count, Upper);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// GROUP_BY as a balanced end state: counts on the values in use differ by at most one, and a value holds two or
    /// more only when at least the requested number of values are in use. Any such state can be reached one task at a
    /// time under Marathon's rule (round-robin over the values), so plans stay valid for it.
    /// </summary>
    private static void AddGroupBy(
        CpModel model, PlacementConstraint constraint, List<string> valueOrder, Dictionary<string, int> existing, int existingMissing,
        Func<string, LinearExpr> count, Func<string, long> upper)
    {
        var minimum = constraint.Value is null ? 0 : int.Parse(constraint.Value, CultureInfo.InvariantCulture);
        var all = valueOrder.Union(existing.Keys, StringComparer.Ordinal).ToList();
        long big = existingMissing + 1;
        foreach (var v in all) big += existing.GetValueOrDefault(v) + (valueOrder.Contains(v) ? upper(v) : 0);
        var high = model.NewIntVar(0, big, "");
        var low = model.NewIntVar(0, big, "");
        var inUse = new List<LinearExpr>();
        foreach (var v in all)
        {
            var fixedCount = existing.GetValueOrDefault(v);
            LinearExpr total = valueOrder.Contains(v) ? count(v) + fixedCount : LinearExpr.Constant(fixedCount);
            var b = model.NewBoolVar("");
            model.Add(total <= big * (LinearExpr)b);
            model.Add(total >= (LinearExpr)b);
            model.Add(total <= high);
            model.Add(total >= low - big * (1 - (LinearExpr)b));
            inUse.Add(b);
        }
        if (existingMissing > 0)
        {
            model.Add(LinearExpr.Constant(existingMissing) <= high);
            model.Add(LinearExpr.Constant(existingMissing) >= low);
            inUse.Add(LinearExpr.Constant(1));
        }
        model.Add(high - low <= 1);
        var stacked = model.NewBoolVar("");
        model.Add(high <= 1 + big * (LinearExpr)stacked);
        model.Add(LinearExpr.Sum(inUse) >= minimum * (LinearExpr)stacked);
    }

    private static void Read(CompiledProblem p, Built built, CpSolver solver, int[] plan)
    {
        var next = new int[p.Classes.Length];
        foreach (var entry in built.Entries)
        {
            var count = solver.Value(entry.Var);
            var members = p.Classes[entry.Class].Members;
            for (var i = 0; i < count && next[entry.Class] < members.Length; i++) plan[members[next[entry.Class]++]] = entry.Machine;
        }
    }
}
