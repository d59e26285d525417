using Google.OrTools.LinearSolver;

namespace DcOs.Optimization.Internal;

/// <summary>
/// A lower bound on the machine bill of any plan that places as many tasks of each class as a given plan: the linear
/// relaxation (GLOP) over task classes and machine classes (machines alike at the start: same static key, idleness,
/// free room and devices). Variables: x[c, k] tasks of class c on class k, and y[k] in [0, machines] idle machines of
/// class k switched on (machines already running are paid for). Rows: each class's count; per class k and dimension,
/// demand within free room times y (times all machines when running); x[c, k] at most the tasks of c one machine of k
/// holds (devices counted, so whole-device tasks see device counts) times y. Cost: each switched-on machine's price
/// plus each task's per-unit prices there. Every real plan is a point of this LP (y counts the machines it switches
/// on), so its optimum, shaved of solver tolerance, is at most any such plan's bill; unlike a cover per resource, it
/// sees that a GPU machine's cpus serve GPU tasks and CPU-only tasks together, and which models a task may use.
/// </summary>
internal static class BillBoundLp
{
    /// <summary>The bound in dollars per hour, or null when GLOP is unavailable or does not prove optimality.</summary>
    public static double? Solve(CompiledProblem p, int[] placedPerClass)
    {
        using var solver = Solver.CreateSolver("GLOP");
        if (solver is null) return null;
        var machineClasses = MachineClassSet.Build(p.D, p.StaticKeyOfMachine, p.InitiallyIdle, p.InitialFree, p.InitialNonScalar, null, Enumerable.Range(0, p.M), p.InitialGpuFree, p.GpuModels);
        var objective = solver.Objective();
        objective.SetMinimization();
        var d = p.D;
        // Rows in units of the largest free amount per dimension: milli-units of memory reach 1e9, which GLOP handles badly.
        var unit = new double[d];
        for (var m = 0; m < p.M; m++)
        {
            for (var i = 0; i < d; i++) unit[i] = Math.Max(unit[i], p.InitialFree[m * d + i]);
        }
        for (var i = 0; i < d; i++) unit[i] = Math.Max(unit[i], 1);
        var y = new Variable?[machineClasses.Count];
        var capacity = new Constraint?[machineClasses.Count * d];
        for (var k = 0; k < machineClasses.Count; k++)
        {
            var rep = machineClasses.Representative(k);
            var count = machineClasses.Members[k].Count;
            if (p.InitiallyIdle[rep])
            {
                y[k] = solver.MakeNumVar(0, count, "");
                objective.SetCoefficient(y[k], p.Machines[rep].Cost.MachinePerHour);
            }
            for (var i = 0; i < d; i++)
            {
                var free = p.InitialFree[rep * d + i] / unit[i];
                if (y[k] is { } on)
                {
                    capacity[k * d + i] = solver.MakeConstraint(double.NegativeInfinity, 0);
                    capacity[k * d + i]!.SetCoefficient(on, -free);
                }
                else
                {
                    capacity[k * d + i] = solver.MakeConstraint(double.NegativeInfinity, free * count);
                }
            }
        }

        for (var c = 0; c < placedPerClass.Length; c++)
        {
            if (placedPerClass[c] == 0) continue;
            var row = solver.MakeConstraint(placedPerClass[c], placedPerClass[c]);
            var shape = p.Shapes[p.Classes[c].Shape].Resources;
            var any = false;
            for (var k = 0; k < machineClasses.Count; k++)
            {
                var rep = machineClasses.Representative(k);
                if (!p.Allowed(c, rep)) continue;
                var fit = p.Fit(c, p.InitialFree, rep, p.InitialNonScalar, p.InitialGpuFree);
                if (fit == 0) continue;
                var count = machineClasses.Members[k].Count;
                var x = solver.MakeNumVar(0, Math.Min(placedPerClass[c], (double)fit * count), "");
                any = true;
                row.SetCoefficient(x, 1);
                objective.SetCoefficient(x, p.Machines[rep].Cost.UnitPricePerHour(shape));
                for (var i = 0; i < d; i++)
                {
                    var need = p.ClassDemand[c * d + i];
                    if (need > 0) capacity[k * d + i]!.SetCoefficient(x, need / unit[i]);
                }
                if (y[k] is { } on)
                {
                    var perMachine = solver.MakeConstraint(double.NegativeInfinity, 0);
                    perMachine.SetCoefficient(x, 1);
                    perMachine.SetCoefficient(on, -fit);
                }
            }
            // The plan placed these tasks, so some machine class takes them; if none does, the input is not what it was.
            if (!any) return null;
        }

        if (solver.Solve() != Solver.ResultStatus.OPTIMAL) return null;
        var value = objective.Value();
        // GLOP's optimum carries tolerances of about 1e-9 relative; shave more than that so the bound stays valid.
        return Math.Max(0, value - 1e-6 * Math.Abs(value) - 1e-6);
    }
}
