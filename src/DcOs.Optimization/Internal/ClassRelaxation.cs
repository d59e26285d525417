using Google.OrTools.Sat;

namespace DcOs.Optimization.Internal;

/// <summary>
/// CP-SAT on machine classes instead of machines: integer Y[k] (machines of class k put to use), N[c, k] (tasks of
/// class c on class k), capacity rows Σ demand·N ≤ free·Y per class and dimension, and N ≤ fit·Y. Every per-machine
/// plan maps onto it (sum over the class), so its optimum, and CP-SAT's bound on it, bounds the full problem from
/// below; because Y is integral, the bound sees that machines come whole, which the full model's LP does not. Its
/// solution, packed onto concrete machines largest tasks first, is a near-optimal starting plan.
/// </summary>
/// <remarks>Only valid when machines of a class are interchangeable: no group constraint and no spread term.</remarks>
internal static class ClassRelaxation
{
    /// <summary>Share of the relaxation's time given to packing its shares onto machines (the relaxation itself is tiny).</summary>
    private const double PackingShare = 1.0;

    /// <summary>Machines per block when a machine class's share is packed block by block.</summary>
    private const long BlockMachines = 40;

    public sealed record Result(CpSolverStatus Status, long? Bound, int[]? Plan, int Variables);

    public static Result Solve(
        CompiledProblem p, MachineState state, GroupTracker tracker, List<int> classes, long penaltyUnit, int[] hint, double seconds,
        CancellationToken cancellationToken)
    {
        var machineClasses = MachineClassSet.Build(p.D, p.StaticKeyOfMachine, state.IdleNow(), state.Free, state.NonScalar, null, Enumerable.Range(0, p.M), state.Gpu, p.GpuModels);
        var classOfMachine = new int[p.M];
        for (var k = 0; k < machineClasses.Count; k++)
        {
            foreach (var m in machineClasses.Members[k]) classOfMachine[m] = k;
        }
        var hintN = new Dictionary<(int, int), long>();
        var hintUsed = new HashSet<int>[machineClasses.Count];
        for (var t = 0; t < hint.Length; t++)
        {
            if (hint[t] < 0) continue;
            var k = classOfMachine[hint[t]];
            hintN[(p.ClassOfTask[t], k)] = hintN.GetValueOrDefault((p.ClassOfTask[t], k)) + 1;
            (hintUsed[k] ??= []).Add(hint[t]);
        }

        var model = new CpModel();
        var objective = LinearExpr.NewBuilder();
        var y = new LinearExpr[machineClasses.Count];
        var variables = 0;
        for (var k = 0; k < machineClasses.Count; k++)
        {
            var rep = machineClasses.Representative(k);
            var count = machineClasses.Members[k].Count;
            var packCost = p.PackCost[p.ProfileOfMachine[rep]];
            if (state.IsIdle(rep) && packCost > 0)
            {
                var v = model.NewIntVar(0, count, "");
                model.AddHint(v, hintUsed[k]?.Count ?? 0);
                objective.AddTerm(v, packCost);
                y[k] = v;
                variables++;
            }
            else
            {
                y[k] = LinearExpr.Constant(count);
            }
        }

        var n = new List<(int Class, int MachineClass, IntVar Var)>();
        var perMachineClass = new List<(int Class, IntVar Var)>[machineClasses.Count];
        foreach (var c in classes)
        {
            var sum = LinearExpr.NewBuilder();
            var tasks = p.Classes[c].Count;
            for (var k = 0; k < machineClasses.Count; k++)
            {
                var rep = machineClasses.Representative(k);
                if (!p.Allowed(c, rep)) continue;
                var fit = state.Fit(c, rep);
                if (fit == 0) continue;
                var v = model.NewIntVar(0, Math.Min(tasks, (long)fit * machineClasses.Members[k].Count), "");
                model.AddHint(v, hintN.GetValueOrDefault((c, k)));
                model.Add(v <= fit * y[k]);
                var arc = p.Arc(c, rep);
                if (arc != 0) objective.AddTerm(v, arc);
                sum.Add(v);
                n.Add((c, k, v));
                (perMachineClass[k] ??= []).Add((c, v));
                variables++;
            }
            var slack = model.NewIntVar(0, tasks, "");
            sum.Add(slack);
            model.Add(sum == tasks);
            objective.AddTerm(slack, penaltyUnit * p.Classes[c].Weight);
            variables++;
        }
        for (var k = 0; k < machineClasses.Count; k++)
        {
            if (perMachineClass[k] is not { } list) continue;
            var rep = machineClasses.Representative(k);
            for (var d = 0; d < p.D; d++)
            {
                var row = LinearExpr.NewBuilder();
                var any = false;
                foreach (var (c, v) in list)
                {
                    var need = p.ClassDemand[c * p.D + d];
                    if (need == 0) continue;
                    row.AddTerm(v, need);
                    any = true;
                }
                if (any) model.Add(row <= state.Free[rep * p.D + d] * y[k]);
            }
            if (p.HasNonScalar)
            {
                var withPorts = list.Where(x => p.Shapes[p.Classes[x.Class].Shape].NonScalar is not null).Select(x => (LinearExpr)x.Var).ToList();
                if (withPorts.Count > 0) model.Add(LinearExpr.Sum(withPorts) <= y[k]);
            }
        }
        model.Minimize(objective);

        var counts = new List<(int Class, int Count)>[machineClasses.Count];
        for (var k = 0; k < counts.Length; k++) counts[k] = [];
        var used = new long[machineClasses.Count];
        var (status, bound) = CpSatSolver.Run(model, p.Options, seconds, solver =>
        {
            foreach (var (c, k, v) in n)
            {
                var value = solver.Value(v);
                if (value > 0) counts[k].Add((c, (int)value));
            }
            for (var k = 0; k < used.Length; k++) used[k] = solver.Value(y[k]);
        }, cancellationToken);
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible)) return new Result(status, bound, null, variables);

        // Realize: idle machine classes whose machines cost something get a bin-packing of their share; the others
        // (and any packing CP-SAT does not find) are dealt round-robin. What does not fit goes to the greedy.
        var plan = CpSatSolver.NewPlan(p);
        var packState = state.Clone();
        var pending = new List<int>[p.Classes.Length];
        var modelled = new HashSet<int>(classes);
        for (var c = 0; c < pending.Length; c++) pending[c] = modelled.Contains(c) ? [.. p.Classes[c].Members] : [];
        var packable = new List<int>();
        long packTasks = 0;
        for (var k = 0; k < counts.Length; k++)
        {
            var rep = machineClasses.Representative(k);
            if (counts[k].Count == 0 || !state.IsIdle(rep) || p.PackCost[p.ProfileOfMachine[rep]] == 0) continue;
            packable.Add(k);
            foreach (var (_, count) in counts[k]) packTasks += count;
        }
        var packSeconds = seconds * PackingShare;
        foreach (var k in packable)
        {
            long share = 0;
            foreach (var (_, count) in counts[k]) share += count;
            if (PackShare(p, packState, machineClasses.Members[k], counts[k], pending, used[k], packSeconds * share / packTasks, plan, cancellationToken))
                counts[k] = [];
        }
        ClassAssigner.Assign(p, packState, machineClasses, counts, pending, spread: false, GreedySolver.ClassSizes(p), plan, used);
        var rest = pending.SelectMany(list => list).ToList();
        if (rest.Count > 0)
            GreedySolver.Run(p, packState, tracker.Clone(), GreedySolver.ByPriorityThenSize(p, rest), GreedyMode.CostAware, plan, cancellationToken);
        return new Result(status, bound, plan, variables);
    }

    /// <summary>Packs one machine class's share with <see cref="ClassPacking"/>; false (nothing placed) when no packing is found.</summary>
    private static bool PackShare(
        CompiledProblem p, MachineState state, List<int> machines, List<(int Class, int Count)> share, List<int>[] pending, long target, double seconds,
        int[] plan, CancellationToken cancellationToken)
    {
        // Tasks of one shape are interchangeable for packing: pool them.
        var shapes = new List<(int Shape, long Count, int Class)>();
        var pools = new List<Queue<(int Class, int Task)>>();
        foreach (var (c, count) in share)
        {
            var shape = p.Classes[c].Shape;
            var s = shapes.FindIndex(x => x.Shape == shape);
            if (s < 0)
            {
                s = shapes.Count;
                shapes.Add((shape, 0, c));
                pools.Add(new Queue<(int, int)>());
            }
            shapes[s] = (shape, shapes[s].Count + count, shapes[s].Class);
            for (var i = 0; i < count; i++) pools[s].Enqueue((c, pending[c][i]));
        }
        // A big class is packed as identical blocks: one block's share is packed, and the packing repeated; the
        // remainders (fewer than one per block and shape) are left to the greedy, which fills used machines first.
        var blocks = (int)Math.Max(1, (target + BlockMachines - 1) / BlockMachines);
        var blockShapes = blocks == 1 ? shapes : [.. shapes.Select(x => (x.Shape, x.Count / blocks, x.Class))];
        var blockTarget = (target + blocks - 1) / blocks;
        var x = ClassPacking.Pack(p, state, machines, blockShapes, blockTarget, seconds, cancellationToken);
        if (x is null) return false;
        var pattern = new List<int>();
        for (var j = 0; j < x.GetLength(1); j++)
        {
            for (var s = 0; s < shapes.Count && (pattern.Count == 0 || pattern[^1] != j); s++)
            {
                if (x[s, j] > 0) pattern.Add(j);
            }
        }
        var placed = new HashSet<int>();
        var next = 0;
        for (var b = 0; b < blocks; b++)
        {
            foreach (var j in pattern)
            {
                if (next >= machines.Count) break;
                var machine = machines[next++];
                for (var s = 0; s < shapes.Count; s++)
                {
                    for (var i = 0; i < x[s, j] && pools[s].Count > 0; i++)
                    {
                        var (c, t) = pools[s].Peek();
                        if (state.Fit(c, machine) == 0) break;
                        pools[s].Dequeue();
                        state.Place(c, machine);
                        plan[t] = machine;
                        placed.Add(t);
                    }
                }
            }
        }
        foreach (var (c, _) in share) pending[c].RemoveAll(placed.Contains);
        return true;
    }
}
