using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>A few thousand tasks on a heterogeneous cluster: every objective gives a valid plan, the optimizer beats the baselines.</summary>
public sealed class ScaleTests
{
    private static PlacementProblem Cluster(PlacementObjective objective, int tasks, int machines)
    {
        var random = new Random(3);
        var sizes = new[] { Resources.FromScalars(cpus: 0.5, memMb: 1024), Resources.FromScalars(cpus: 1, memMb: 4096), Resources.FromScalars(cpus: 2, memMb: 8192), Resources.FromScalars(cpus: 1, memMb: 16384) };
        var types = new[] { (16.0, 65536.0, 0.8, 1.0, false), (32, 65536, 2.0, 1.6, false), (16, 65536, 0.3, 0.9, true), (8, 131072, 1.0, 1.0, false) };
        var pending = Enumerable.Range(0, tasks).Select(i => new PendingTask
        {
            Spec = Fx.Spec($"t{i}", 1, 1) with { Resources = sizes[random.Next(sizes.Length)] },
            Duration = TimeSpan.FromHours(new[] { 0.5, 1, 2, 4 }[random.Next(4)]),
            Deadline = random.Next(10) == 0 ? Fx.Now + TimeSpan.FromHours(4.5) : null,
            Priority = random.Next(10) == 0 ? 1 : 0,
            AllowPreemptible = random.Next(5) != 0,
        }).ToArray();
        var cluster = Enumerable.Range(0, machines).Select(i =>
        {
            var (cpus, mem, price, speed, pre) = types[i % types.Length];
            return Fx.Machine($"m{i}", cpus, mem, price, speed, pre, zone: $"z{i % 3}");
        }).ToArray();
        return Fx.Problem(objective, pending, cluster);
    }

    [Fact]
    public void Every_objective_gives_a_valid_plan_at_a_few_thousand_tasks()
    {
        foreach (var objective in new[] { PlacementObjective.Cheapest, PlacementObjective.Fastest, PlacementObjective.CheapestWithinDeadline, PlacementObjective.Pack, PlacementObjective.Spread })
        {
            var problem = Cluster(objective, 4000, 400);
            var plan = PlacementOptimizer.Create(Fx.Options() with { TimeLimit = TimeSpan.FromSeconds(2) }).Solve(problem);
            Fx.AssertValid(problem, plan);
            Assert.True(plan.Assignments.Count >= 3900, $"{objective}: placed {plan.Assignments.Count}");
            Assert.NotNull(plan.OptimalityGap);
        }
    }

    [Fact]
    public void Cheapest_costs_less_than_first_fit_and_best_fit()
    {
        var problem = Cluster(PlacementObjective.Cheapest, 4000, 400);
        var cheapest = Fx.Optimizer().Solve(problem);
        var firstFit = Fx.Optimizer(OptimizerAlgorithm.FirstFit).Solve(problem);
        var bestFit = Fx.Optimizer(OptimizerAlgorithm.BestFit).Solve(problem);
        Assert.Equal(4000, cheapest.Assignments.Count);
        Assert.True(cheapest.TotalCost < 0.9 * firstFit.TotalCost, $"{cheapest.TotalCost} vs first-fit {firstFit.TotalCost}");
        Assert.True(cheapest.TotalCost < 0.9 * bestFit.TotalCost, $"{cheapest.TotalCost} vs best-fit {bestFit.TotalCost}");
        Assert.True(cheapest.OptimalityGap < 0.05, $"gap {cheapest.OptimalityGap}");
    }

    [Fact]
    public void Pack_releases_more_machines_than_the_baselines_with_a_small_proven_gap()
    {
        var problem = Cluster(PlacementObjective.Pack, 1000, 200);
        var pack = Fx.Optimizer().Solve(problem);
        var price = (PlacementPlan plan) => plan.Assignments.Select(a => a.MachineIndex).Distinct().Sum(m => problem.Machines[m].Cost.MachinePricePerHour(problem.Machines[m].Total));
        Assert.Equal(OptimizerAlgorithm.CpSat, pack.Statistics.Algorithm);
        Assert.Equal(1000, pack.Assignments.Count);
        Assert.True(pack.OptimalityGap <= 0.01, $"gap {pack.OptimalityGap}");
        Assert.True(price(pack) < price(Fx.Optimizer(OptimizerAlgorithm.FirstFit).Solve(problem)));
        Assert.True(price(pack) < price(Fx.Optimizer(OptimizerAlgorithm.BestFit).Solve(problem)));
    }
}
