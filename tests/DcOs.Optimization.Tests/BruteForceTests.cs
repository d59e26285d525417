using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>
/// The optimizer against exhaustive search on small random instances (at most 6 tasks on 3 machines), for every
/// objective: the flow on instances it is exact for (one task shape, so per-machine capacity is a task count), CP-SAT
/// on mixed shapes with partially used machines and per-unit prices.
/// </summary>
public sealed class BruteForceTests
{
    public static readonly TheoryData<string> Objectives = ["cheapest", "fastest", "deadline", "pack", "spread", "cost+spread", "cost+time+pack"];

    private static PlacementObjective Objective(string name) => name switch
    {
        "cheapest" => PlacementObjective.Cheapest,
        "fastest" => PlacementObjective.Fastest,
        "deadline" => PlacementObjective.CheapestWithinDeadline,
        "pack" => PlacementObjective.Pack,
        "spread" => PlacementObjective.Spread,
        "cost+spread" => PlacementObjective.Combine((ObjectiveKind.Cheapest, 0.7), (ObjectiveKind.Spread, 0.3)),
        _ => PlacementObjective.Combine((ObjectiveKind.CheapestWithinDeadline, 1), (ObjectiveKind.Fastest, 0.5), (ObjectiveKind.Pack, 2)),
    };

    [Theory]
    [MemberData(nameof(Objectives))]
    public void Cp_sat_matches_exhaustive_search_on_mixed_shapes(string objective)
    {
        for (var seed = 0; seed < 25; seed++)
        {
            var problem = RandomProblem(new Random(seed * 7919 + objective.Length), Objective(objective), sameShape: false);
            Check(problem, OptimizerAlgorithm.CpSat, $"seed {seed}");
        }
    }

    [Theory]
    [InlineData("cheapest")]
    [InlineData("fastest")]
    [InlineData("deadline")]
    [InlineData("spread")]
    [InlineData("cost+spread")]
    public void Min_cost_flow_matches_exhaustive_search_when_tasks_share_a_shape(string objective)
    {
        for (var seed = 0; seed < 40; seed++)
        {
            // Chargeback keeps the cost term linear, where the flow is exact (machine billing adds a fixed charge per machine).
            var problem = RandomProblem(new Random(seed * 104729 + objective.Length), Objective(objective), sameShape: true) with { Billing = BillingMode.Chargeback };
            Check(problem, OptimizerAlgorithm.MinCostFlow, $"seed {seed}");
        }
    }

    [Theory]
    [MemberData(nameof(Objectives))]
    public void Auto_matches_exhaustive_search_when_tasks_share_a_shape(string objective)
    {
        for (var seed = 0; seed < 15; seed++)
        {
            var problem = RandomProblem(new Random(seed * 31 + objective.Length), Objective(objective), sameShape: true);
            Check(problem, OptimizerAlgorithm.Auto, $"seed {seed}");
        }
    }

    [Fact]
    public void Min_cost_flow_on_mixed_shapes_is_valid_and_never_claims_more_than_it_proves()
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var problem = RandomProblem(new Random(seed), PlacementObjective.Cheapest, sameShape: false);
            var plan = Fx.Optimizer(OptimizerAlgorithm.MinCostFlow).Solve(problem);
            Fx.AssertValid(problem, plan);
            var best = BruteForce.Optimum(problem);
            var mine = BruteForce.Of(problem, plan);
            Assert.True(mine.PlacedWeight <= best.PlacedWeight);
            if (plan.Statistics.Status == SolveStatus.Optimal)
            {
                Assert.Equal(best.PlacedWeight, mine.PlacedWeight);
                Assert.True(mine.Objective <= best.Objective + BruteForce.Tolerance(problem), $"seed {seed}: claims optimal at {mine.Objective}, optimum {best.Objective}");
            }
        }
    }

    private static void Check(PlacementProblem problem, OptimizerAlgorithm algorithm, string label)
    {
        var plan = Fx.Optimizer(algorithm).Solve(problem);
        Fx.AssertValid(problem, plan);
        var best = BruteForce.Optimum(problem);
        var mine = BruteForce.Of(problem, plan);
        Assert.True(best.PlacedWeight == mine.PlacedWeight, $"{label}: placed weight {mine.PlacedWeight}, optimum {best.PlacedWeight}");
        Assert.True(mine.Objective <= best.Objective + BruteForce.Tolerance(problem),
            $"{label}: objective {mine.Objective}, optimum {best.Objective} ({plan.Statistics.Algorithm}, {plan.Statistics.SolverStatus})");
        Assert.Equal(SolveStatus.Optimal, plan.Statistics.Status);
        Assert.Equal(0, plan.OptimalityGap);
    }

    /// <summary>
    /// 1-6 tasks, 1-3 machines. Machines differ in size, price (per machine or per cpu), speed and preemptibility;
    /// some are partly in use. Capacity is often short, so priorities decide who is left out.
    /// </summary>
    internal static PlacementProblem RandomProblem(Random random, PlacementObjective objective, bool sameShape)
    {
        var n = random.Next(1, 7);
        var m = random.Next(1, 4);
        var tasks = new PendingTask[n];
        for (var t = 0; t < n; t++)
        {
            var cpus = sameShape ? 1 : new[] { 0.5, 1, 2 }[random.Next(3)];
            var mem = sameShape ? 256 : new[] { 256, 512, 1024 }[random.Next(3)];
            tasks[t] = Fx.Task(
                $"t{t}", cpus, mem,
                hours: new[] { 0.5, 1, 2, 3 }[random.Next(4)],
                priority: random.Next(3),
                deadlineIn: random.Next(3) == 0 ? null : TimeSpan.FromHours(new[] { 0.5, 1, 2, 4 }[random.Next(4)]),
                allowPreemptible: random.Next(4) != 0);
        }
        var machines = new PlacementMachine[m];
        for (var i = 0; i < m; i++)
        {
            var cpus = sameShape ? random.Next(1, 4) : new[] { 2, 3, 4 }[random.Next(3)];
            var mem = sameShape ? 2048 : new[] { 1024, 2048 }[random.Next(2)];
            var perCpu = random.Next(3) == 0;
            var price = new[] { 0.5, 1, 2, 3 }[random.Next(4)];
            var agent = Fx.Agent($"m{i}", cpus, mem, perCpu ? 0 : price, new[] { 0.5, 1, 1.5, 2 }[random.Next(4)], random.Next(5) == 0) with { };
            if (perCpu) agent = agent with { Cost = agent.Cost with { PerUnitPerHour = new Dictionary<string, double> { ["cpus"] = price / 2 } } };
            // Some machines already run other work: less is free than their total, and they are not idle.
            var free = !sameShape && random.Next(4) == 0 ? agent.Resources - Resources.FromScalars(cpus: 1, memMb: 256) : agent.Resources;
            machines[i] = PlacementMachine.FromAgent(agent, free);
        }
        return Fx.Problem(objective, tasks, machines);
    }
}
