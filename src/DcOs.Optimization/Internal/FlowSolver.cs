using DcOs.Core.Placement;
using Google.OrTools.Graph;

namespace DcOs.Optimization.Internal;

/// <summary>
/// The Quincy/Firmament construction on OR-Tools' min-cost flow. Nodes: one per task class (supply = its pending
/// tasks), one per machine class, one sink. Arcs: class → machine class with capacity (tasks of the class that fit on
/// one such machine) × (machines in the class) and the scaled cost of one task there; class → sink ("unscheduled")
/// with a penalty high enough that leaving a task out never pays while it could be placed; machine class → sink,
/// one arc, or for spread one arc per layer (the j-th task on each machine costs j pairs), which makes the convex
/// spread term exact. When task sizes mix and the routing overcommits a machine class in some dimension, the round's
/// routing and bound come from the same network as an LP with aggregate capacity rows (<see cref="ClassLp"/>). Then
/// <see cref="ClassAssigner"/> picks concrete machines; what did not fit goes to another round on what is left, and
/// finally to a greedy repair (which also places tasks with group constraints, which a flow cannot express).
/// </summary>
internal static class FlowSolver
{
    private const int MaxRounds = 8;
    private const int MaxLayers = 256;

    /// <summary>Largest network the class LP is solved for; beyond it the repair rounds alone deal with overcommitment.</summary>
    private const int MaxLpArcs = 200_000;

    public static SolverOutcome Solve(CompiledProblem p, MachineState state, GroupTracker tracker, int[] assignment, CancellationToken cancellationToken)
    {
        var classCount = p.Classes.Length;
        var pending = new List<int>[classCount];
        var outsideFlow = new List<int>();
        for (var c = 0; c < classCount; c++)
        {
            pending[c] = [];
            if (!p.Placeable[c]) continue;
            if (p.Classes[c].Group >= 0) outsideFlow.AddRange(p.Classes[c].Members);
            else pending[c].AddRange(p.Classes[c].Members);
        }
        var spread = p.SpreadUnit > 0;
        var amortizedPack = p.HasFixedCharges;
        var classSize = GreedySolver.ClassSizes(p);
        long? bound = null;
        long penaltyUnit = 0;
        var rounds = 0;
        var modelSize = 0;
        var exact = true;
        var solverStatus = "OPTIMAL";
        var classLp = false;
        for (var round = 0; round < MaxRounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!pending.Any(list => list.Count > 0)) break;
            var machineClasses = MachineClassSet.BuildByFit(p, state, ShapeRepresentatives(p, pending), spread, WithRoom(p, state).ToList());
            var result = RunFlow(p, state, machineClasses, pending, amortizedPack);
            if (result is null) break;
            rounds++;
            modelSize = Math.Max(modelSize, result.Arcs);
            if (result.Status != MinCostFlowBase.Status.OPTIMAL)
            {
                solverStatus = result.Status.ToString();
                exact = false;
                break;
            }
            if (round == 0)
            {
                penaltyUnit = result.PenaltyUnit;
                if (!p.HasFixedCharges && outsideFlow.Count == 0 && !result.Shrunk) bound = result.Bound;
            }
            var routed = 0;
            foreach (var list in result.Counts)
            {
                foreach (var (_, count) in list) routed += count;
            }
            var placed = ClassAssigner.Assign(p, state, machineClasses, result.Counts, pending, spread, classSize, assignment);
            if (placed < routed || !result.Unpriced) exact = false;
            classLp |= !result.Unpriced;
            if (placed == 0) break;
        }

        // Repair: what no round could place exactly, and tasks whose constraints the flow cannot express.
        var rest = new List<int>(outsideFlow);
        foreach (var list in pending) rest.AddRange(list);
        if (rest.Count > 0)
        {
            var order = GreedySolver.ByPriorityThenSize(p, rest);
            if (GreedySolver.Run(p, state, tracker, order, GreedyMode.CostAware, assignment, cancellationToken) > 0) exact = false;
        }
        if (outsideFlow.Count > 0 || amortizedPack) exact = false;

        var objective = PlanScore.Scaled(p, assignment, penaltyUnit);
        var failed = solverStatus != "OPTIMAL";
        return new SolverOutcome
        {
            Algorithm = OptimizerAlgorithm.MinCostFlow,
            PenaltyUnit = penaltyUnit,
            Status = failed ? SolveStatus.Fallback : exact || (bound is { } b && b >= objective) ? SolveStatus.Optimal : SolveStatus.Feasible,
            SolverStatus = !failed && classLp ? "OPTIMAL_WITH_CLASS_LP" : solverStatus,
            ModelSize = modelSize,
            Rounds = rounds,
            Objective = objective,
            Bound = failed ? null : exact ? objective : bound,
        };
    }

    /// <summary>One pending class per distinct shape: fits depend on the shape only.</summary>
    private static List<int> ShapeRepresentatives(CompiledProblem p, List<int>[] pending)
    {
        var seen = new HashSet<int>();
        var result = new List<int>();
        for (var c = 0; c < pending.Length; c++)
        {
            if (pending[c].Count > 0 && seen.Add(p.Classes[c].Shape)) result.Add(c);
        }
        return result;
    }

    /// <summary>Machines with any free capacity left (a full machine cannot take anything).</summary>
    private static IEnumerable<int> WithRoom(CompiledProblem p, MachineState state)
    {
        for (var m = 0; m < p.M; m++)
        {
            var any = false;
            for (var d = 0; d < p.D && !any; d++) any = state.Free[m * p.D + d] > 0;
            if (any || p.D == 0) yield return m;
        }
    }

    /// <summary>
    /// One round's routing (Counts), a lower bound on the round's objective (Bound), and whether the routing is the
    /// plain flow optimum (Unpriced: then, placed exactly, it is optimal).
    /// </summary>
    private sealed record FlowResult(MinCostFlowBase.Status Status, long Bound, long PenaltyUnit, int Arcs, bool Shrunk, bool Unpriced, List<(int Class, int Count)>[] Counts);

    /// <summary>One class-to-machine-class arc.</summary>
    internal readonly record struct PlacementArc(int From, int To, long Capacity, long Cost, int Class, int MachineClass);

    /// <summary>One machine-class-to-sink arc (a spread layer, or the class's whole intake).</summary>
    internal readonly record struct LayerArc(int From, long Capacity, long Cost);

    /// <summary>
    /// Builds and solves one round's network. When the routing overcommits a machine class in some dimension (the
    /// arcs bound each task class alone, so small and large tasks all "fit" the cheap machines at once), the round
    /// solves the same network as a linear program with one aggregate capacity row per machine class and dimension
    /// (<see cref="ClassLp"/>): its optimum is a tighter bound and its routing respects those rows.
    /// </summary>
    private static FlowResult? RunFlow(CompiledProblem p, MachineState state, MachineClassSet machineClasses, List<int>[] pending, bool amortizedPack)
    {
        // Task-class nodes first (active classes only), then machine classes, then the sink.
        var active = new List<int>();
        for (var c = 0; c < pending.Length; c++)
        {
            if (pending[c].Count > 0) active.Add(c);
        }
        var kCount = machineClasses.Count;
        var arcs = new List<PlacementArc>();
        var maxFit = new long[kCount];
        long maxArc = 0;
        for (var i = 0; i < active.Count; i++)
        {
            var c = active[i];
            for (var k = 0; k < kCount; k++)
            {
                var rep = machineClasses.Representative(k);
                if (!p.Allowed(c, rep)) continue;
                var fit = state.Fit(c, rep);
                if (fit == 0) continue;
                var machines = machineClasses.Members[k].Count;
                var capacity = Math.Min(pending[c].Count, (long)fit * machines);
                var cost = p.Arc(c, rep);
                if (amortizedPack && state.IsIdle(rep)) cost += (p.PackCost[p.ProfileOfMachine[rep]] + fit - 1) / fit;
                arcs.Add(new PlacementArc(i, active.Count + k, capacity, cost, c, k));
                maxFit[k] = Math.Max(maxFit[k], fit);
                maxArc = Math.Max(maxArc, cost);
            }
        }
        if (arcs.Count == 0) return null;

        // Layer arcs (machine class -> sink).
        var sink = active.Count + kCount;
        var layers = new List<LayerArc>();
        long maxLayer = 0;
        for (var k = 0; k < kCount; k++)
        {
            if (maxFit[k] == 0) continue;
            var machines = machineClasses.Members[k].Count;
            if (p.SpreadUnit == 0)
            {
                layers.Add(new LayerArc(active.Count + k, maxFit[k] * machines, 0));
                continue;
            }
            var load = state.Load[machineClasses.Representative(k)];
            var count = (int)Math.Min(maxFit[k], MaxLayers);
            for (var j = 0; j < count; j++)
            {
                var capacity = j == count - 1 ? (maxFit[k] - j) * machines : machines;
                var cost = p.SpreadUnit * (load + j);
                layers.Add(new LayerArc(active.Count + k, capacity, cost));
                maxLayer = Math.Max(maxLayer, cost);
            }
        }

        // Leaving a task out must cost more than any chain of moves it could trigger: an augmenting path crosses at
        // most min(task classes, machine classes) + 1 placement arcs and one layer arc.
        var penaltyUnit = (Math.Min(active.Count, kCount) + 1) * Math.Max(maxArc, 1) + maxLayer + 1;
        var maxWeight = active.Max(c => p.Classes[c].Weight);
        long supply = 0;
        foreach (var c in active) supply += pending[c].Count;
        var nodes = sink + 1;
        // OR-Tools scales costs by the node count; keep every product well inside 64 bits, coarsening if needed.
        var limit = (long.MaxValue >> 3) / Math.Max(nodes + 1, supply);
        var shrink = 1L;
        while (penaltyUnit / shrink * maxWeight > limit) shrink *= 2;

        var flows = new long[arcs.Count];
        var (status, flowCost) = SolveOnce(p, active, pending, arcs, layers, sink, supply, penaltyUnit, shrink, flows);
        var size = arcs.Count + layers.Count + active.Count;
        var counts = new List<(int Class, int Count)>[kCount];
        for (var k = 0; k < kCount; k++) counts[k] = [];
        if (status != MinCostFlowBase.Status.OPTIMAL) return new FlowResult(status, 0, penaltyUnit, size, shrink > 1, false, counts);

        var bound = flowCost;
        var unpriced = true;
        var totalFree = machineClasses.TotalFree(state.Free, p.D);
        if (arcs.Count <= MaxLpArcs && Overcommits(p, machineClasses, totalFree, arcs, flows))
        {
            var lp = ClassLp.Solve(p, machineClasses, totalFree, active, pending, arcs, layers, penaltyUnit);
            if (lp is { } solved)
            {
                bound = Math.Max(bound, solved.Bound);
                flows = solved.Routing;
                unpriced = false;
            }
        }
        for (var a = 0; a < arcs.Count; a++)
        {
            if (flows[a] > 0) counts[arcs[a].MachineClass].Add((arcs[a].Class, (int)flows[a]));
        }
        return new FlowResult(status, bound, penaltyUnit, size, shrink > 1, unpriced, counts);
    }

    /// <summary>Whether the routing puts more on some machine class, in some dimension, than the class has in total.</summary>
    private static bool Overcommits(CompiledProblem p, MachineClassSet machineClasses, long[] totalFree, List<PlacementArc> arcs, long[] flows)
    {
        var d = p.D;
        var loads = new long[machineClasses.Count * d];
        for (var a = 0; a < arcs.Count; a++)
        {
            if (flows[a] == 0) continue;
            for (var i = 0; i < d; i++) loads[arcs[a].MachineClass * d + i] += p.ClassDemand[arcs[a].Class * d + i] * flows[a];
        }
        for (var j = 0; j < loads.Length; j++)
        {
            if (loads[j] > totalFree[j]) return true;
        }
        return false;
    }

    /// <summary>Solves the network; fills <paramref name="flows"/> with the placement arcs' flows.</summary>
    private static (MinCostFlowBase.Status Status, long Cost) SolveOnce(
        CompiledProblem p, List<int> active, List<int>[] pending, List<PlacementArc> arcs, List<LayerArc> layers,
        int sink, long supply, long penaltyUnit, long shrink, long[] flows)
    {
        using var flow = new MinCostFlow(sink + 1, arcs.Count + layers.Count + active.Count);
        for (var i = 0; i < active.Count; i++) flow.SetNodeSupply(i, pending[active[i]].Count);
        flow.SetNodeSupply(sink, -supply);
        foreach (var arc in arcs) flow.AddArcWithCapacityAndUnitCost(arc.From, arc.To, arc.Capacity, arc.Cost / shrink);
        for (var i = 0; i < active.Count; i++)
        {
            var c = active[i];
            flow.AddArcWithCapacityAndUnitCost(i, sink, pending[c].Count, penaltyUnit / shrink * p.Classes[c].Weight);
        }
        foreach (var layer in layers) flow.AddArcWithCapacityAndUnitCost(layer.From, sink, layer.Capacity, layer.Cost / shrink);
        var status = flow.Solve();
        if (status != MinCostFlowBase.Status.OPTIMAL) return (status, 0);
        // Arc ids are assigned in order, so the placement arcs are 0 .. arcs.Count - 1.
        for (var a = 0; a < arcs.Count; a++) flows[a] = flow.Flow(a);
        return (status, flow.OptimalCost() * shrink);
    }
}
