using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>
/// Two hours of work (at speed 1). The slow machine (speed 0.8, 1/h) takes 2.5 h and costs 2.5; the fast one
/// (speed 2, 4/h) takes 1 h and costs 4 (the task takes the whole machine, so it pays the whole machine price). The cheap slow machine is chosen only when its slowness still meets the deadline.
/// </summary>
public sealed class DeadlineTests
{
    public static readonly TheoryData<OptimizerAlgorithm> Algorithms = [OptimizerAlgorithm.Auto, OptimizerAlgorithm.MinCostFlow, OptimizerAlgorithm.CpSat];

    private static PlacementPlan Solve(OptimizerAlgorithm algorithm, PlacementObjective objective, TimeSpan deadlineIn)
    {
        var problem = Fx.Problem(objective,
            [Fx.Task("job", cpus: 4, hours: 2, deadlineIn: deadlineIn)],
            [Fx.Machine("fast", pricePerHour: 4, speed: 2), Fx.Machine("slow", pricePerHour: 1, speed: 0.8)]);
        var plan = Fx.Optimizer(algorithm).Solve(problem);
        Fx.AssertValid(problem, plan);
        return plan;
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void A_loose_deadline_takes_the_cheap_slow_machine(OptimizerAlgorithm algorithm)
    {
        var plan = Solve(algorithm, PlacementObjective.CheapestWithinDeadline, TimeSpan.FromHours(3));
        var a = Assert.Single(plan.Assignments);
        Assert.Equal("slow", a.AgentId.Value);
        Assert.Equal(2.5, a.Cost, 9);
        Assert.Equal(TimeSpan.FromHours(2.5), a.Runtime);
        Assert.Equal(Fx.Now + TimeSpan.FromHours(2.5), plan.EstimatedCompletion);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void A_tight_deadline_pays_for_the_fast_machine(OptimizerAlgorithm algorithm)
    {
        var plan = Solve(algorithm, PlacementObjective.CheapestWithinDeadline, TimeSpan.FromHours(2));
        var a = Assert.Single(plan.Assignments);
        Assert.Equal("fast", a.AgentId.Value);
        Assert.Equal(4, plan.TotalCost, 9);
        Assert.Equal(Fx.Now + TimeSpan.FromHours(1), a.EstimatedFinish);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void A_deadline_no_machine_can_meet_is_reported_not_thrown(OptimizerAlgorithm algorithm)
    {
        var plan = Solve(algorithm, PlacementObjective.CheapestWithinDeadline, TimeSpan.FromMinutes(30));
        Assert.Empty(plan.Assignments);
        var u = Assert.Single(plan.Unplaced);
        Assert.Equal(PlacementReason.Deadline, u.Reason);
        Assert.Contains("speed 2", u.Detail);
    }

    [Fact]
    public void Cheapest_alone_ignores_the_deadline_and_fastest_ignores_the_price()
    {
        Assert.Equal("slow", Assert.Single(Solve(OptimizerAlgorithm.Auto, PlacementObjective.Cheapest, TimeSpan.FromHours(2)).Assignments).AgentId.Value);
        Assert.Equal("fast", Assert.Single(Solve(OptimizerAlgorithm.Auto, PlacementObjective.Fastest, TimeSpan.FromHours(9)).Assignments).AgentId.Value);
    }

    [Fact]
    public void Work_units_convert_to_time_at_the_configured_rate()
    {
        // 4 units at 2 units per hour = 2 h of reference work: same as above, so a 3 h deadline allows the slow machine.
        var task = Fx.Task("job", cpus: 4, deadlineIn: TimeSpan.FromHours(3)) with { Duration = null, WorkUnits = 4 };
        var problem = Fx.Problem(PlacementObjective.CheapestWithinDeadline, [task],
            [Fx.Machine("fast", pricePerHour: 4, speed: 2), Fx.Machine("slow", pricePerHour: 1, speed: 0.8)]);
        var plan = PlacementOptimizer.Create(Fx.Options() with { WorkUnitsPerHour = 2 }).Solve(problem);
        Assert.Equal("slow", Assert.Single(plan.Assignments).AgentId.Value);
        Assert.Equal(TimeSpan.FromHours(2.5), plan.Assignments[0].Runtime);
    }

    [Fact]
    public void Under_a_shared_deadline_the_urgent_task_gets_the_fast_machine()
    {
        // One slot per machine. Only the fast machine can finish the urgent task in time; the other task goes slow.
        var problem = Fx.Problem(PlacementObjective.CheapestWithinDeadline,
            [Fx.Task("relaxed", cpus: 4, hours: 2, deadlineIn: TimeSpan.FromHours(5)), Fx.Task("urgent", cpus: 4, hours: 2, deadlineIn: TimeSpan.FromHours(1.5))],
            [Fx.Machine("slow", pricePerHour: 1, speed: 0.8), Fx.Machine("fast", pricePerHour: 4, speed: 2)]);
        foreach (var algorithm in new[] { OptimizerAlgorithm.MinCostFlow, OptimizerAlgorithm.CpSat })
        {
            var plan = Fx.Optimizer(algorithm).Solve(problem);
            Assert.Equal(["slow", "fast"], plan.Assignments.Select(a => a.AgentId.Value));
        }
    }
}
