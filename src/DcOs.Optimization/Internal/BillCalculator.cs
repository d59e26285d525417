using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Optimization.Internal;

/// <summary>
/// What a plan costs as the machines bill it, from the machines' cost models and the tasks' resources (not from the
/// compiled objective the solver minimized): the bill per hour and to completion, each task's part of both (they add up
/// to the bill), the machines switched on, and a lower bound on the bill for placing the same tasks.
/// </summary>
internal static class BillCalculator
{
    /// <summary>Per task of <paramref name="assignment"/> (machine or -1): its part of the bill per hour and to completion.</summary>
    public static (PlanBill Bill, double[] PerHour, double[] Total) Compute(CompiledProblem p, int[] assignment, SolverOutcome outcome)
    {
        var problem = p.Problem;
        var mode = problem.Billing;
        var n = assignment.Length;
        var perHour = new double[n];
        var total = new double[n];
        var hours = new double[n];
        var share = new double[n];
        // The plan's tasks on each machine, to split a machine switched on among them.
        var onMachine = new List<int>?[p.M];
        var used = new bool[p.M];
        for (var t = 0; t < n; t++)
        {
            var m = assignment[t];
            if (m < 0) continue;
            used[m] = true;
            var machine = p.Machines[m];
            var resources = p.Tasks[t].Spec.Resources;
            hours[t] = p.PaidHours[p.ClassOfTask[t] * p.Profiles.Length + p.ProfileOfMachine[m]];
            if (mode == BillingMode.Chargeback)
            {
                perHour[t] = machine.Cost.TaskPricePerHour(resources, machine.Total);
                total[t] = perHour[t] * hours[t];
                continue;
            }
            perHour[t] = machine.Cost.UnitPricePerHour(resources);
            total[t] = perHour[t] * hours[t];
            share[t] = resources.DominantShare(machine.Total);
            (onMachine[m] ??= []).Add(t);
        }
        var switchedOn = new List<AgentId>();
        var leftIdle = new List<AgentId>();
        for (var m = 0; m < p.M; m++)
        {
            if (p.InitiallyIdle[m] && !used[m]) leftIdle.Add(p.Machines[m].AgentId);
            if (onMachine[m] is not { } tasks || !p.InitiallyIdle[m]) continue;
            var machine = p.Machines[m];
            switchedOn.Add(machine.AgentId);
            var price = machine.Cost.MachinePerHour;
            if (price <= 0) continue;
            // Paid per hour while anything runs, until the last of the plan's tasks there ends; split by dominant share
            // (per hour) and by share times runtime (to completion), equally when every share is zero.
            var shares = tasks.Sum(t => share[t]);
            var weighted = tasks.Sum(t => share[t] * hours[t]);
            var longest = tasks.Max(t => hours[t]);
            foreach (var t in tasks)
            {
                perHour[t] += price * (shares > 0 ? share[t] / shares : 1.0 / tasks.Count);
                total[t] += price * longest * (weighted > 0 ? share[t] * hours[t] / weighted : 1.0 / tasks.Count);
            }
        }
        var bill = new PlanBill
        {
            Mode = mode,
            PerHour = perHour.Sum(),
            Total = total.Sum(),
            MachinesSwitchedOn = switchedOn,
            MachinesLeftIdle = leftIdle,
            LowerBoundPerHour = Math.Max(LowerBound(p, assignment, perHour.Sum(), switchedOn.Count > 0), SolverBound(p, assignment, outcome) ?? 0),
        };
        return (bill, perHour, total);
    }

    /// <summary>
    /// The solver's proven bound, in dollars per hour, where its objective is the bill: the objective is cost alone, every
    /// task is a service (paid for the same horizon, so the objective is the bill per hour times that horizon), and the
    /// plan leaves out nothing that could be placed (the bound then holds among plans placing as much, penalties aside).
    /// Each of the at most tasks + machines rounded terms of a plan is within half a unit of its cost.
    /// </summary>
    private static double? SolverBound(CompiledProblem p, int[] assignment, SolverOutcome outcome)
    {
        if (outcome.Bound is not { } bound || p.Weights.Cost < 1 - 1e-12) return null;
        if (!p.Classes.All(c => c.LongRunning) || p.Classes.Length == 0) return null;
        for (var t = 0; t < assignment.Length; t++)
        {
            if (assignment[t] < 0 && p.Placeable[p.ClassOfTask[t]]) return null;
        }
        var horizon = p.Classes[0].RefHours;
        if (horizon <= 0 || p.Classes.Any(c => c.RefHours != horizon)) return null;
        var slack = 0.5 * (assignment.Count(m => m >= 0) + p.M);
        return Math.Max(0, (bound - slack) * p.Normalizers.Cost / CompiledProblem.Scale / horizon);
    }

    /// <summary>
    /// A bound no plan placing the same tasks can go below. Each task pays at least its cheapest per-unit price (its
    /// cheapest charge under chargeback) on any machine. Under machine billing, the demand of each scalar resource that
    /// the free room of machines already running cannot hold must come from idle machines, each paid in full if used
    /// at all: covering it fractionally, cheapest price per unit of that resource first, costs no more than any plan;
    /// the largest such cover over the resources is added. Where that leaves a gap and the plan switches machines on,
    /// the linear relaxation over classes (<see cref="BillBoundLp"/>) is solved and the larger bound kept.
    /// </summary>
    private static double LowerBound(CompiledProblem p, int[] assignment, double bill, bool switchesOn)
    {
        // By task class: the tasks of one class have one shape, so one price on each cost profile.
        var count = new int[p.Classes.Length];
        foreach (var t in Enumerable.Range(0, assignment.Length).Where(t => assignment[t] >= 0)) count[p.ClassOfTask[t]]++;
        var mode = p.Problem.Billing;
        var bound = 0.0;
        var demand = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var c = 0; c < count.Length; c++)
        {
            if (count[c] == 0) continue;
            var shape = p.Shapes[p.Classes[c].Shape].Resources;
            bound += count[c] * p.Profiles.Min(f => mode == BillingMode.Chargeback ? f.Cost.TaskPricePerHour(shape, f.Total) : f.Cost.UnitPricePerHour(shape));
            foreach (var r in shape.Flatten())
            {
                if (r.Kind == ResourceKind.Scalar) demand[r.Name] = demand.GetValueOrDefault(r.Name) + count[c] * r.Scalar.Value;
            }
        }
        if (mode == BillingMode.Chargeback) return bound;

        var cover = 0.0;
        var flatFree = p.Machines.Select(machine => machine.Free.Flatten()).ToArray();
        foreach (var (name, wanted) in demand)
        {
            var running = 0.0;
            var idle = new List<(double Price, double Capacity)>();
            for (var m = 0; m < p.M; m++)
            {
                var free = flatFree[m].GetScalar(name).Value;
                if (free <= 0) continue;
                if (p.InitiallyIdle[m]) idle.Add((p.Machines[m].Cost.MachinePerHour, free));
                else running += free;
            }
            var left = wanted - running;
            var cost = 0.0;
            foreach (var (price, capacity) in idle.OrderBy(x => x.Price / x.Capacity))
            {
                if (left <= 0) break;
                var take = Math.Min(left, capacity);
                cost += price * take / capacity;
                left -= take;
            }
            cover = Math.Max(cover, cost);
        }
        // The linear relaxation over task and machine classes is tighter where machines are switched on; it costs a
        // GLOP solve, so only when this simple bound leaves a gap.
        var simple = bound + cover;
        if (!switchesOn || bill - simple <= 1e-4 * bill) return simple;
        return Math.Max(simple, BillBoundLp.Solve(p, count) ?? 0);
    }
}
