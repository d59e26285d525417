using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Optimization.Internal;

/// <summary>Turns an assignment (machine per task, -1 for none) into the public <see cref="PlacementPlan"/>.</summary>
internal static class PlanBuilder
{
    public static PlacementPlan Build(CompiledProblem p, int[] assignment, MachineState finalState, SolverOutcome outcome, TimeSpan elapsed, int[]?[]? devices = null)
    {
        var assignments = new List<TaskAssignment>(assignment.Length);
        var unplaced = new List<UnplacedTask>();
        var reasons = new (PlacementReason, string)?[p.Classes.Length];
        var (bill, chargePerHour, chargeTotal) = BillCalculator.Compute(p, assignment, outcome);
        var completion = p.Now;
        var load = new int[p.M];
        for (var t = 0; t < assignment.Length; t++)
        {
            var c = p.ClassOfTask[t];
            var m = assignment[t];
            var id = p.Tasks[t].Spec.Id;
            if (m < 0)
            {
                var (reason, detail) = reasons[c] ??= UnplacedDiagnosis.Explain(p, c, finalState);
                unplaced.Add(new UnplacedTask { TaskIndex = t, TaskId = id, Reason = reason, Detail = detail });
                continue;
            }
            var profile = p.ProfileOfMachine[m];
            var hours = p.PairHours[c * p.Profiles.Length + profile];
            var runtime = TimeSpan.FromHours(hours);
            var finish = p.Now + runtime;
            if (finish > completion) completion = finish;
            load[m]++;
            var machine = p.Machines[m];
            assignments.Add(new TaskAssignment
            {
                TaskIndex = t,
                TaskId = id,
                MachineIndex = m,
                AgentId = machine.AgentId,
                OfferIds = machine.OfferIds,
                Cost = chargeTotal[t],
                ChargebackPerHour = chargePerHour[t],
                GpuDevices = devices?[t] ?? [],
                Runtime = runtime,
                EstimatedFinish = finish,
            });
        }
        var used = 0;
        var idleUsed = 0;
        for (var m = 0; m < p.M; m++)
        {
            if (load[m] == 0) continue;
            used++;
            if (p.InitiallyIdle[m]) idleUsed++;
        }
        return new PlacementPlan
        {
            Objective = p.Problem.Objective,
            Assignments = assignments,
            Unplaced = unplaced,
            TotalCost = bill.Total,
            Bill = bill,
            EstimatedCompletion = completion,
            MachinesUsed = used,
            IdleMachinesUsed = idleUsed,
            ObjectiveValue = PlanScore.Normalized(p, assignment),
            OptimalityGap = outcome.Gap,
            Statistics = new SolveStatistics
            {
                Algorithm = outcome.Algorithm,
                Status = outcome.Status,
                SolverStatus = outcome.SolverStatus,
                Elapsed = elapsed,
                TaskClasses = p.Classes.Length,
                MachineClasses = p.InitialMachineClasses,
                ModelSize = outcome.ModelSize,
                Rounds = outcome.Rounds,
                SolverObjective = outcome.Objective,
                SolverBound = outcome.Bound,
            },
        };
    }
}
