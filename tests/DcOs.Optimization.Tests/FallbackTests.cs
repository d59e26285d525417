using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>When CP-SAT's limit ends the search without a plan, the greedy plan is returned, valid and labelled as such.</summary>
public sealed class FallbackTests
{
    private static PlacementProblem Grouped()
    {
        var unique = PlacementConstraint.Parse("hostname:UNIQUE");
        var spread = PlacementConstraint.Parse("rack:GROUP_BY:3");
        var tasks = Enumerable.Range(0, 300).Select(i => Fx.Task($"t{i}", cpus: 1 + i % 3, mem: 512, hours: 1 + i % 4, priority: i % 5 == 0 ? 2 : 0,
            group: $"g{i % 6}", constraints: i % 2 == 0 ? [unique] : [spread])).ToArray();
        var machines = Enumerable.Range(0, 120).Select(i => Fx.Machine($"m{i}", cpus: 8, mem: 8192, pricePerHour: 1 + i % 5, speed: 1 + i % 3 * 0.25, rack: $"r{i % 7}")).ToArray();
        return Fx.Problem(PlacementObjective.Cheapest, tasks, machines);
    }

    [Fact]
    public void A_limit_too_short_for_any_solution_returns_the_greedy_plan()
    {
        var problem = Grouped();
        var plan = PlacementOptimizer.Create(Fx.Options(OptimizerAlgorithm.CpSat) with { TimeLimit = TimeSpan.FromTicks(1) }).Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal(SolveStatus.Fallback, plan.Statistics.Status);
        Assert.Equal("UNKNOWN", plan.Statistics.SolverStatus);
        Assert.True(plan.Assignments.Count > 0);
    }

    [Fact]
    public void With_time_the_same_problem_improves_on_the_greedy_plan()
    {
        var problem = Grouped();
        var fallback = PlacementOptimizer.Create(Fx.Options(OptimizerAlgorithm.CpSat) with { TimeLimit = TimeSpan.FromTicks(1) }).Solve(problem);
        // 5 s of CP-SAT's deterministic time (its wall-clock guard is twice that): 3 s was enough alone, but not while
        // the whole suite shared the two cores, when the guard ended the search before a first solution.
        var solved = PlacementOptimizer.Create(Fx.Options(OptimizerAlgorithm.CpSat) with { TimeLimit = TimeSpan.FromSeconds(5) }).Solve(problem);
        Fx.AssertValid(problem, solved);
        Assert.NotEqual(SolveStatus.Fallback, solved.Statistics.Status);
        Assert.NotNull(solved.OptimalityGap);
        Assert.True(solved.Statistics.SolverObjective <= fallback.Statistics.SolverObjective);
    }

    [Fact]
    public void Cancelling_abandons_the_solve()
    {
        var problem = Grouped();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        foreach (var algorithm in new[] { OptimizerAlgorithm.CpSat, OptimizerAlgorithm.MinCostFlow, OptimizerAlgorithm.FirstFit })
            Assert.ThrowsAny<OperationCanceledException>(() => Fx.Optimizer(algorithm).Solve(problem, cancelled.Token));
    }
}
