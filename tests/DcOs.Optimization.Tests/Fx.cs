using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Optimization.Tests;

/// <summary>Builders for optimizer tests: a fixed clock, tasks, machines and a plan checker independent of the optimizer.</summary>
internal static class Fx
{
    public static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static OptimizerOptions Options(OptimizerAlgorithm algorithm = OptimizerAlgorithm.Auto) => new()
    {
        Algorithm = algorithm,
        TimeProvider = new FakeTimeProvider(Now),
        TimeLimit = TimeSpan.FromSeconds(20),
    };

    public static IPlacementOptimizer Optimizer(OptimizerAlgorithm algorithm = OptimizerAlgorithm.Auto) =>
        PlacementOptimizer.Create(Options(algorithm));

    public static TaskSpec Spec(string id, double cpus, double mem, params PlacementConstraint[] constraints) => new()
    {
        Id = new TaskId(id),
        Command = CommandSpec.FromShell("sleep 1"),
        Resources = Resources.FromScalars(cpus: cpus, memMb: mem),
        Constraints = constraints,
    };

    public static PendingTask Task(
        string id, double cpus = 1, double mem = 128, double hours = 1, int priority = 0, TimeSpan? deadlineIn = null,
        string? group = null, bool allowPreemptible = true, params PlacementConstraint[] constraints) => new()
    {
        Spec = Spec(id, cpus, mem, constraints),
        Duration = TimeSpan.FromHours(hours),
        Priority = priority,
        Deadline = deadlineIn is { } d ? Now + d : null,
        Group = group,
        AllowPreemptible = allowPreemptible,
    };

    public static AgentInfo Agent(
        string id, double cpus = 4, double mem = 4096, double pricePerHour = 1, double speed = 1, bool preemptible = false,
        string? rack = null, string? zone = null) => new()
    {
        Id = new AgentId(id),
        Hostname = id + ".example",
        Resources = Resources.FromScalars(cpus: cpus, memMb: mem),
        Attributes = rack is null ? Attributes.Empty : Attributes.Parse("rack:" + rack),
        Zone = zone,
        Cost = new CostModel { MachinePerHour = pricePerHour, SpeedFactor = speed, Preemptible = preemptible },
    };

    public static PlacementMachine Machine(
        string id, double cpus = 4, double mem = 4096, double pricePerHour = 1, double speed = 1, bool preemptible = false,
        string? rack = null, string? zone = null) =>
        PlacementMachine.FromAgent(Agent(id, cpus, mem, pricePerHour, speed, preemptible, rack, zone));

    public static PlacementProblem Problem(PlacementObjective objective, IReadOnlyList<PendingTask> tasks, IReadOnlyList<PlacementMachine> machines) =>
        new() { Tasks = tasks, Machines = machines, Objective = objective };

    /// <summary>
    /// Checks a plan without trusting the optimizer: capacity, deadlines, preemption, and constraints. UNIQUE, CLUSTER,
    /// MAX_PER and the static operators are replayed with <see cref="PlacementConstraint.IsSatisfiedBy"/> in plan order
    /// (their verdict does not depend on the order); GROUP_BY is checked on the end state: counts on the values in use
    /// differ by at most one, and a value holds two or more only when the requested number of values is in use.
    /// </summary>
    public static void AssertValid(PlacementProblem problem, PlacementPlan plan)
    {
        Assert.Equal(problem.Tasks.Count, plan.Assignments.Count + plan.Unplaced.Count);
        var free = problem.Machines.Select(m => m.Free).ToArray();
        var placed = new Dictionary<string, List<IPlacementTarget>>();
        foreach (var (group, existing) in problem.GroupPlacements) placed[group] = [.. existing];
        foreach (var a in plan.Assignments)
        {
            var task = problem.Tasks[a.TaskIndex];
            var machine = problem.Machines[a.MachineIndex];
            Assert.True(free[a.MachineIndex].Contains(task.Spec.Resources), $"{a.TaskId} does not fit on {machine.AgentId}");
            free[a.MachineIndex] -= task.Spec.Resources;
            var mine = task.Group is null ? [] : placed.TryGetValue(task.Group, out var l) ? l : placed[task.Group] = [];
            foreach (var c in task.Spec.Constraints)
            {
                var ok = c.Operator == ConstraintOperator.GroupBy ? c.IsSatisfiedBy(machine.Target, []) : c.IsSatisfiedBy(machine.Target, mine);
                Assert.True(ok, $"{a.TaskId} on {machine.AgentId} breaks {c}");
            }
            mine.Add(machine.Target);
            if (!task.AllowPreemptible) Assert.False(machine.Cost.Preemptible);
            if (problem.Objective.EnforceDeadlines && task.Deadline is { } deadline) Assert.True(a.EstimatedFinish <= deadline, $"{a.TaskId} misses its deadline");
        }
        foreach (var group in problem.Tasks.Where(t => t.Group is not null).Select(t => t.Group!).Distinct())
        {
            foreach (var c in problem.Tasks.Where(t => t.Group == group).SelectMany(t => t.Spec.Constraints).Where(c => c.Operator == ConstraintOperator.GroupBy).Distinct())
            {
                var counts = (placed.TryGetValue(group, out var l) ? l : []).GroupBy(x => PlacementConstraint.FieldValue(x, c.Field) ?? "\0").Select(g => g.Count()).ToList();
                if (counts.Count == 0) continue;
                Assert.True(counts.Max() - counts.Min() <= 1, $"group {group} is not balanced under {c}: {string.Join(",", counts)}");
                if (counts.Max() >= 2 && c.Value is { } min) Assert.True(counts.Count >= int.Parse(min), $"group {group} stacks before using {min} values under {c}");
            }
        }
    }
}
