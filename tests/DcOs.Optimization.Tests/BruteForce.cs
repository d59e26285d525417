using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>
/// The optimum of a tiny problem by enumerating every assignment (each task on a machine or left out), with the
/// objective as docs/optimizer.md defines it, written independently of the optimizer's code: first the most
/// priority weight placed (1 + priority per task), then the least weighted objective.
/// </summary>
internal static class BruteForce
{
    public readonly record struct Score(long PlacedWeight, double Objective);

    public static Score Optimum(PlacementProblem problem)
    {
        var n = problem.Tasks.Count;
        var m = problem.Machines.Count;
        var assign = new int[n];
        Array.Fill(assign, -1);
        var best = new Score(-1, double.MaxValue);
        var norm = Normalizers(problem);
        while (true)
        {
            if (IsValid(problem, assign))
            {
                var score = Evaluate(problem, assign, norm);
                if (score.PlacedWeight > best.PlacedWeight || (score.PlacedWeight == best.PlacedWeight && score.Objective < best.Objective)) best = score;
            }
            // Next assignment in base (m + 1), digit value -1..m-1.
            var i = 0;
            while (i < n && assign[i] == m - 1)
            {
                assign[i] = -1;
                i++;
            }
            if (i == n) break;
            assign[i]++;
        }
        return best;
    }

    public static Score Of(PlacementProblem problem, PlacementPlan plan)
    {
        var assign = new int[problem.Tasks.Count];
        Array.Fill(assign, -1);
        foreach (var a in plan.Assignments) assign[a.TaskIndex] = a.MachineIndex;
        Assert.True(IsValid(problem, assign), "the plan breaks capacity, a constraint, a deadline or preemption");
        return Evaluate(problem, assign, Normalizers(problem));
    }

    /// <summary>One unit of slack for rounding: the solvers work in millionths of each term's largest value.</summary>
    public static double Tolerance(PlacementProblem problem) => 1e-5 * (problem.Tasks.Count + problem.Machines.Count + 1) * (1 + problem.Tasks.Count);

    private static double Hours(PendingTask task) => (task.Duration ?? TimeSpan.FromHours(1)).TotalHours;

    private static bool StaticOk(PlacementProblem problem, int t, int m)
    {
        var task = problem.Tasks[t];
        var machine = problem.Machines[m];
        if (!task.AllowPreemptible && machine.Cost.Preemptible) return false;
        if (!machine.Free.Contains(task.Spec.Resources)) return false;
        if (task.Spec.Constraints.Any(c => !c.IsSatisfiedBy(machine.Target, []))) return false;
        if (problem.Objective.EnforceDeadlines && task.Deadline is { } deadline &&
            Hours(task) / machine.Cost.SpeedFor(task.Spec.Resources) > (deadline - Fx.Now).TotalHours) return false;
        return true;
    }

    private static bool IsValid(PlacementProblem problem, int[] assign)
    {
        var used = new Resources[problem.Machines.Count];
        for (var t = 0; t < assign.Length; t++)
        {
            var m = assign[t];
            if (m < 0) continue;
            if (!StaticOk(problem, t, m)) return false;
            used[m] = (used[m] ?? Resources.Empty) + problem.Tasks[t].Spec.Resources;
            if (!problem.Machines[m].Free.Contains(used[m])) return false;
        }
        // Group constraints as end-state conditions.
        foreach (var group in problem.Tasks.Where(t => t.Group is not null).Select(t => t.Group!).Distinct())
        {
            var members = Enumerable.Range(0, assign.Length).Where(t => problem.Tasks[t].Group == group).ToList();
            var constraints = members.SelectMany(t => problem.Tasks[t].Spec.Constraints).Distinct().ToList();
            var existing = problem.GroupPlacements.TryGetValue(group, out var e) ? e : [];
            foreach (var c in constraints)
            {
                var values = existing.Select(x => PlacementConstraint.FieldValue(x, c.Field))
                    .Concat(members.Where(t => assign[t] >= 0).Select(t => PlacementConstraint.FieldValue(problem.Machines[assign[t]].Target, c.Field)))
                    .ToList();
                var counts = values.GroupBy(v => v ?? "\0").ToDictionary(g => g.Key, g => g.Count());
                switch (c.Operator)
                {
                    case ConstraintOperator.Unique when counts.Values.Any(x => x > 1):
                    case ConstraintOperator.MaxPer when counts.Values.Any(x => x > int.Parse(c.Value!)):
                    case ConstraintOperator.Cluster when counts.Count > 1:
                        return false;
                    case ConstraintOperator.GroupBy when counts.Count > 0:
                        var min = c.Value is null ? 0 : int.Parse(c.Value);
                        if (counts.Values.Max() - counts.Values.Min() > 1) return false;
                        if (counts.Values.Max() >= 2 && counts.Count < min) return false;
                        break;
                }
            }
        }
        return true;
    }

    private readonly record struct Norm(double Cost, double Hours, double Pack, bool Priced, Dictionary<int, double> FixedCost);

    private static bool MachineBilling(PlacementProblem problem) => problem.Billing == BillingMode.Machine && problem.Objective.CostWeight > 0;

    /// <summary>The cost term of a task on a machine: its per-unit prices under machine billing (the machine is a fixed charge), its chargeback otherwise.</summary>
    private static double TaskCost(PlacementProblem problem, PendingTask task, PlacementMachine machine) => PaidHours(task, machine) * (problem.Billing == BillingMode.Machine
        ? machine.Cost.UnitPricePerHour(task.Spec.Resources)
        : machine.Cost.TaskPricePerHour(task.Spec.Resources, machine.Total));

    /// <summary>A task's runtime there, or for one without a duration (a service) the hour it is billed for, whatever the speed.</summary>
    private static double PaidHours(PendingTask task, PlacementMachine machine) =>
        task.Duration is null && task.WorkUnits is null ? Hours(task) : Hours(task) / machine.Cost.SpeedFor(task.Spec.Resources);

    private static Norm Normalizers(PlacementProblem problem)
    {
        double cost = 0, hours = 0, pack = 0;
        // Machine billing: an idle machine is paid for the longest runtime of any task that fits on a machine of its
        // price and size (the optimizer's documented fixed charge).
        var longest = new Dictionary<(CostModel, Resources), double>();
        for (var t = 0; t < problem.Tasks.Count; t++)
        {
            for (var m = 0; m < problem.Machines.Count; m++)
            {
                if (!StaticOk(problem, t, m)) continue;
                var machine = problem.Machines[m];
                cost = Math.Max(cost, TaskCost(problem, problem.Tasks[t], machine));
                hours = Math.Max(hours, Hours(problem.Tasks[t]) / machine.Cost.SpeedFor(problem.Tasks[t].Spec.Resources));
                if (machine.IsIdle && machine.Free.Contains(problem.Tasks[t].Spec.Resources))
                    longest[(machine.Cost, machine.Total)] = Math.Max(longest.GetValueOrDefault((machine.Cost, machine.Total)), PaidHours(problem.Tasks[t], machine));
            }
        }
        var fixedCost = new Dictionary<int, double>();
        for (var m = 0; m < problem.Machines.Count; m++)
        {
            var machine = problem.Machines[m];
            if (!MachineBilling(problem) || !machine.IsIdle) continue;
            fixedCost[m] = machine.Cost.MachinePerHour * longest.GetValueOrDefault((machine.Cost, machine.Total));
            cost = Math.Max(cost, fixedCost[m]);
        }
        foreach (var machine in problem.Machines.Where(x => x.IsIdle)) pack = Math.Max(pack, machine.Cost.MachinePricePerHour(machine.Total));
        return new Norm(cost > 0 ? cost : 1, hours > 0 ? hours : 1, pack > 0 ? pack : 1, pack > 0, fixedCost);
    }

    private static Score Evaluate(PlacementProblem problem, int[] assign, Norm norm)
    {
        var o = problem.Objective;
        var sum = o.CostWeight + o.TimeWeight + o.PackWeight + o.SpreadWeight;
        long weight = 0;
        double cost = 0, hours = 0, pack = 0, pairs = 0;
        var load = new int[problem.Machines.Count];
        for (var t = 0; t < assign.Length; t++)
        {
            if (assign[t] < 0) continue;
            var task = problem.Tasks[t];
            var machine = problem.Machines[assign[t]];
            weight += 1 + task.Priority;
            cost += TaskCost(problem, task, machine);
            hours += Hours(task) / machine.Cost.SpeedFor(task.Spec.Resources);
            load[assign[t]]++;
        }
        for (var m = 0; m < load.Length; m++)
        {
            if (load[m] == 0) continue;
            var machine = problem.Machines[m];
            if (machine.IsIdle) pack += norm.Priced ? machine.Cost.MachinePricePerHour(machine.Total) / norm.Pack : 1;
            cost += norm.FixedCost.GetValueOrDefault(m);
            pairs += load[m] * (load[m] - 1) / 2.0;
        }
        var objective = (o.CostWeight * cost / norm.Cost + o.TimeWeight * hours / norm.Hours + o.PackWeight * pack + o.SpreadWeight * pairs) / sum;
        return new Score(weight, objective);
    }
}
