using Google.OrTools.LinearSolver;

namespace DcOs.Optimization.Internal;

/// <summary>
/// The round's flow network as a linear program (GLOP) with one more row per machine class and dimension: the tasks
/// routed there must fit in the class's total free capacity. Every real plan satisfies those rows, so the optimum
/// bounds the round from below, much more tightly than the plain flow when task sizes mix; and its routing, rounded
/// class by class, respects them up to rounding. Size: task classes times machine classes, like the flow.
/// </summary>
internal static class ClassLp
{
    public sealed record Result(long Bound, long[] Routing);

    public static Result? Solve(
        CompiledProblem p, MachineClassSet machineClasses, long[] totalFree, List<int> active, List<int>[] pending,
        List<FlowSolver.PlacementArc> arcs, List<FlowSolver.LayerArc> layers, long penaltyUnit)
    {
        using var solver = Solver.CreateSolver("GLOP");
        if (solver is null) return null;
        var objective = solver.Objective();
        objective.SetMinimization();
        var inflow = new Constraint[machineClasses.Count];
        for (var k = 0; k < inflow.Length; k++) inflow[k] = solver.MakeConstraint(0, 0);

        // Supply rows: each class's tasks are routed somewhere or left out.
        var supply = new Constraint[active.Count];
        for (var i = 0; i < active.Count; i++)
        {
            var tasks = pending[active[i]].Count;
            supply[i] = solver.MakeConstraint(tasks, tasks);
            var left = solver.MakeNumVar(0, tasks, "");
            supply[i].SetCoefficient(left, 1);
            objective.SetCoefficient(left, (double)penaltyUnit * p.Classes[active[i]].Weight);
        }

        // Capacity rows in machines' worth: sum of (demand / average free per machine) times tasks <= machines.
        var d = p.D;
        var capacity = new Constraint?[machineClasses.Count * d];
        var perMachine = new double[machineClasses.Count * d];
        for (var k = 0; k < machineClasses.Count; k++)
        {
            var machines = machineClasses.Members[k].Count;
            for (var i = 0; i < d; i++)
            {
                if (totalFree[k * d + i] <= 0) continue;
                perMachine[k * d + i] = totalFree[k * d + i] / (double)machines;
                capacity[k * d + i] = solver.MakeConstraint(double.NegativeInfinity, machines);
            }
        }

        var x = new Variable[arcs.Count];
        for (var a = 0; a < arcs.Count; a++)
        {
            var arc = arcs[a];
            x[a] = solver.MakeNumVar(0, arc.Capacity, "");
            objective.SetCoefficient(x[a], arc.Cost);
            supply[arc.From].SetCoefficient(x[a], 1);
            inflow[arc.MachineClass].SetCoefficient(x[a], 1);
            for (var i = 0; i < d; i++)
            {
                var need = p.ClassDemand[arc.Class * d + i];
                if (need > 0 && capacity[arc.MachineClass * d + i] is { } row) row.SetCoefficient(x[a], need / perMachine[arc.MachineClass * d + i]);
            }
        }
        foreach (var layer in layers)
        {
            var y = solver.MakeNumVar(0, layer.Capacity, "");
            objective.SetCoefficient(y, layer.Cost);
            inflow[layer.From - active.Count].SetCoefficient(y, -1);
        }

        if (solver.Solve() != Solver.ResultStatus.OPTIMAL) return null;
        var value = objective.Value();
        // GLOP's optimum carries tolerances of about 1e-9 relative; shave more than that so the bound stays valid.
        var bound = (long)Math.Floor(value - 1e-6 * Math.Abs(value) - 1);
        var solution = new double[arcs.Count];
        for (var a = 0; a < arcs.Count; a++) solution[a] = Math.Max(0, x[a].SolutionValue());
        return new Result(bound, Round(arcs, active, pending, solution));
    }

    /// <summary>
    /// Rounds a fractional routing class by class: floors, then the largest remainders up to the class's rounded total,
    /// never above an arc's capacity or the class's pending tasks. Ties go to the lower arc, so rounding is deterministic.
    /// </summary>
    private static long[] Round(List<FlowSolver.PlacementArc> arcs, List<int> active, List<int>[] pending, double[] solution)
    {
        var rounded = new long[arcs.Count];
        var byClass = new List<int>[active.Count];
        for (var i = 0; i < byClass.Length; i++) byClass[i] = [];
        for (var a = 0; a < arcs.Count; a++) byClass[arcs[a].From].Add(a);
        for (var i = 0; i < active.Count; i++)
        {
            var list = byClass[i];
            double routed = 0;
            long total = 0;
            foreach (var a in list)
            {
                var v = Math.Min(solution[a], arcs[a].Capacity);
                routed += v;
                rounded[a] = (long)Math.Floor(v + 1e-9);
                total += rounded[a];
            }
            var target = Math.Min(pending[active[i]].Count, (long)Math.Round(routed));
            list.Sort((a, b) =>
            {
                var c = (solution[b] - Math.Floor(solution[b] + 1e-9)).CompareTo(solution[a] - Math.Floor(solution[a] + 1e-9));
                return c != 0 ? c : a.CompareTo(b);
            });
            foreach (var a in list)
            {
                if (total >= target) break;
                if (rounded[a] >= arcs[a].Capacity) continue;
                rounded[a]++;
                total++;
            }
        }
        return rounded;
    }
}
