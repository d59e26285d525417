using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>The same input gives the same plan, for every path, including separately built but equal inputs.</summary>
public sealed class DeterminismTests
{
    private static PlacementProblem Workload(PlacementObjective objective, bool constraints)
    {
        var random = new Random(7);
        var unique = PlacementConstraint.Parse("hostname:UNIQUE");
        var tasks = Enumerable.Range(0, 60).Select(i => Fx.Task(
            $"t{i}", cpus: new[] { 0.5, 1, 2 }[random.Next(3)], mem: new[] { 256, 1024 }[random.Next(2)], hours: new[] { 0.5, 1, 3 }[random.Next(3)],
            priority: random.Next(3) == 0 ? 1 : 0, group: constraints && i % 4 == 0 ? "g" : null,
            constraints: constraints && i % 4 == 0 ? [unique] : [])).ToArray();
        var machines = Enumerable.Range(0, 20).Select(i => Fx.Machine(
            $"m{i}", cpus: new[] { 4.0, 8 }[i % 2], mem: 8192, pricePerHour: new[] { 1.0, 2.5, 0.4 }[i % 3], speed: new[] { 1.0, 1.5, 0.8 }[i % 3],
            preemptible: i % 3 == 2)).ToArray();
        return Fx.Problem(objective, tasks, machines);
    }

    private static string Fingerprint(PlacementPlan plan) =>
        string.Join(";", plan.Assignments.Select(a => $"{a.TaskIndex}>{a.MachineIndex}")) + "|" +
        string.Join(";", plan.Unplaced.Select(u => $"{u.TaskIndex}:{u.Reason}")) + $"|{plan.TotalCost:R}|{plan.OptimalityGap:R}";

    public static readonly TheoryData<string, OptimizerAlgorithm, bool> Cases = new()
    {
        { "cheapest", OptimizerAlgorithm.MinCostFlow, false },
        { "spread", OptimizerAlgorithm.MinCostFlow, false },
        { "pack", OptimizerAlgorithm.CpSat, false },
        { "cheapest", OptimizerAlgorithm.CpSat, true },
        { "pack", OptimizerAlgorithm.MinCostFlow, true },
        { "cheapest", OptimizerAlgorithm.FirstFit, true },
        { "cheapest", OptimizerAlgorithm.BestFit, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Same_input_same_plan(string objective, OptimizerAlgorithm algorithm, bool constraints)
    {
        var o = objective switch { "spread" => PlacementObjective.Spread, "pack" => PlacementObjective.Pack, _ => PlacementObjective.Cheapest };
        var first = Fx.Optimizer(algorithm).Solve(Workload(o, constraints));
        var again = Fx.Optimizer(algorithm).Solve(Workload(o, constraints));
        var sameInstance = Fx.Optimizer(algorithm);
        var problem = Workload(o, constraints);
        Assert.Equal(Fingerprint(first), Fingerprint(again));
        Assert.Equal(Fingerprint(sameInstance.Solve(problem)), Fingerprint(sameInstance.Solve(problem)));
        Assert.Equal(Fingerprint(first), Fingerprint(sameInstance.Solve(problem)));
    }
}
