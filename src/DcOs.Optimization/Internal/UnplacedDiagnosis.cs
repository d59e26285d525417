using System.Globalization;
using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>
/// Explains why tasks of a class were left out, checking in the order a user would: are there machines, do the
/// constraints allow any, does any allowed one have each resource, all of them at once, can it meet the deadline,
/// and if it all fits somewhere, whether group constraints or other tasks took the room.
/// </summary>
internal static class UnplacedDiagnosis
{
    private static readonly IPlacementTarget[] NoPlaced = [];

    public static (PlacementReason Reason, string Detail) Explain(CompiledProblem p, int c, MachineState finalState)
    {
        var cls = p.Classes[c];
        if (p.M == 0) return (PlacementReason.NoMachines, "no machines were offered");
        if (p.Placeable[c]) return AfterSolve(p, c, finalState);

        // Constraints, one at a time, then together.
        var constraints = p.ConstraintSets[cls.ConstraintSet].All;
        var eligible = new List<int>();
        for (var m = 0; m < p.M; m++)
        {
            var ok = true;
            foreach (var k in constraints) ok = ok && k.IsSatisfiedBy(p.Machines[m].Target, NoPlaced);
            if (ok) eligible.Add(m);
        }
        if (eligible.Count == 0)
        {
            foreach (var k in constraints)
            {
                if (!Enumerable.Range(0, p.M).Any(m => k.IsSatisfiedBy(p.Machines[m].Target, NoPlaced)))
                    return (PlacementReason.Constraint, $"no machine satisfies constraint {k}");
            }
            return (PlacementReason.Constraint, $"no machine satisfies constraints {string.Join(", ", constraints.Select(k => k.ToString()))} together");
        }
        if (!cls.AllowPreemptible)
        {
            eligible.RemoveAll(m => p.Machines[m].Cost.Preemptible);
            if (eligible.Count == 0) return (PlacementReason.Constraint, "the task refuses preemptible machines and every machine its constraints allow is preemptible");
        }

        // Resources, dimension by dimension, in the order people ask about them.
        var shape = p.Shapes[cls.Shape];
        foreach (var d in Enumerable.Range(0, p.D).OrderBy(d => Rank(p.Dimensions[d].Name)).ThenBy(d => p.Dimensions[d].ToString(), StringComparer.Ordinal))
        {
            var need = p.ClassDemand[c * p.D + d];
            if (need == 0) continue;
            long most = 0;
            foreach (var m in eligible) most = Math.Max(most, p.InitialFree[m * p.D + d]);
            if (most >= need) continue;
            var dim = p.Dimensions[d];
            var reason = dim.Name switch
            {
                ResourceNames.Cpus => PlacementReason.InsufficientCpus,
                ResourceNames.Mem => PlacementReason.InsufficientMem,
                ResourceNames.Disk => PlacementReason.InsufficientDisk,
                ResourceNames.Gpus => PlacementReason.InsufficientGpus,
                _ => PlacementReason.InsufficientOther,
            };
            return (reason, $"needs {Amount(need)} {dim}; the most free on any machine it may use is {Amount(most)}");
        }
        if (shape.NonScalar is { } ns && !eligible.Any(m => p.InitialNonScalar?[m] is { } have && have.Contains(ns)))
        {
            var reason = ns.All(r => r.Name == ResourceNames.Ports) ? PlacementReason.InsufficientPorts : PlacementReason.InsufficientOther;
            return (reason, $"needs {ns} which no machine it may use has free");
        }
        if (p.HasGpuDevices && p.ClassGpu[c].Devices > 0 && DevicesShort(p, c, eligible) is { } devices) return (PlacementReason.InsufficientGpus, devices);
        var fitting = eligible.Where(m => p.Fit(c, p.InitialFree, m, p.InitialNonScalar, p.InitialGpuFree) > 0).ToList();
        if (fitting.Count == 0)
            return (PlacementReason.InsufficientOther, $"no single machine it may use has {shape.Resources} free at once");

        if (cls.Deadline is { } deadline)
        {
            var fastest = fitting.Max(m => p.Machines[m].Cost.SpeedFor(shape.Resources));
            var finish = p.Now + TimeSpan.FromHours(cls.RefHours / fastest);
            return (PlacementReason.Deadline,
                $"needs {Hours(cls.RefHours)} at speed 1; the fastest machine it fits on (speed {fastest.ToString("0.###", CultureInfo.InvariantCulture)}) " +
                $"would finish at {finish.ToString("O", CultureInfo.InvariantCulture)}, after the deadline {deadline.ToString("O", CultureInfo.InvariantCulture)}");
        }
        return (PlacementReason.InsufficientOther, "no machine it may use can hold it");
    }

    private static (PlacementReason, string) AfterSolve(CompiledProblem p, int c, MachineState finalState)
    {
        var cls = p.Classes[c];
        var fitsNow = 0;
        var fitsInitially = 0;
        for (var m = 0; m < p.M; m++)
        {
            if (!p.Allowed(c, m)) continue;
            if (p.Fit(c, p.InitialFree, m, p.InitialNonScalar, p.InitialGpuFree) > 0) fitsInitially++;
            if (finalState.Fit(c, m) > 0) fitsNow++;
        }
        if (cls.Group >= 0 && fitsNow > 0)
        {
            var group = p.Groups[cls.Group];
            return (PlacementReason.Constraint,
                $"constraint {string.Join(", ", group.Dynamic.Select(k => k.ToString()))} of group \"{group.Name}\" leaves no machine with room for more of its tasks");
        }
        return (PlacementReason.CapacityExhausted,
            $"fits on {fitsInitially} machine(s), but their capacity went to other tasks (higher priority, or a cheaper plan overall)");
    }

    /// <summary>Why no machine's devices hold the task (the machines' totals may): the model, or the most any device (or set of devices) has free; null when some machine's devices hold it.</summary>
    private static string? DevicesShort(CompiledProblem p, int c, List<int> eligible)
    {
        var gpu = p.ClassGpu[c];
        if (eligible.Any(m => gpu.Fit(p.InitialGpuFree![m], p.GpuModels![m]) > 0)) return null;
        var model = p.Tasks[p.Classes[c].Members[0]].Spec.GpuModel;
        if (gpu.Model == -2 || (model is not null && !eligible.Any(m => p.GpuModels![m] is { } models && models.Contains(gpu.Model))))
            return $"needs GPU model {model}, which no machine it may use lists";
        var most = 0;
        foreach (var m in eligible)
        {
            if (p.InitialGpuFree![m] is not { } free) continue;
            for (var i = 0; i < free.Length; i++)
            {
                if (gpu.Model == -1 || p.GpuModels![m]![i] == gpu.Model) most = Math.Max(most, free[i]);
            }
        }
        var need = Scalar.FromMilli(gpu.Thousandths);
        return gpu.Devices == 1
            ? $"needs {need} of one GPU device; the most free on any device it may use is {Scalar.FromMilli(most)}"
            : $"needs {gpu.Devices} whole GPU devices on one machine; no machine it may use has that many free";
    }

    private static int Rank(string name) => name switch
    {
        ResourceNames.Cpus => 0,
        ResourceNames.Mem => 1,
        ResourceNames.Disk => 2,
        ResourceNames.Gpus => 3,
        _ => 4,
    };

    private static string Amount(long milli) => Scalar.FromMilli(milli).ToString();

    private static string Hours(double hours) => TimeSpan.FromHours(hours).ToString("c", CultureInfo.InvariantCulture);
}
