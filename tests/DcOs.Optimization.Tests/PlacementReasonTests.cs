using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>Infeasible tasks come back with a reason each; the solver never throws for them.</summary>
public sealed class PlacementReasonTests
{
    public static readonly TheoryData<OptimizerAlgorithm> Algorithms =
        [OptimizerAlgorithm.Auto, OptimizerAlgorithm.MinCostFlow, OptimizerAlgorithm.CpSat, OptimizerAlgorithm.FirstFit, OptimizerAlgorithm.BestFit];

    private static UnplacedTask Only(PlacementPlan plan, string taskId) => Assert.Single(plan.Unplaced, u => u.TaskId.Value == taskId);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Each_kind_of_infeasibility_gets_its_reason(OptimizerAlgorithm algorithm)
    {
        var reserved = Fx.Task("reserved") with { Spec = Fx.Spec("reserved", 1, 128) with { Resources = Resources.Parse("cpus(analytics):1;mem:128") } };
        var ports = Fx.Task("ports") with { Spec = Fx.Spec("ports", 1, 128) with { Resources = Resources.Parse("cpus:1;mem:128;ports:[31000-31000]") } };
        var problem = Fx.Problem(PlacementObjective.CheapestWithinDeadline,
        [
            Fx.Task("ok"),
            Fx.Task("cpus", cpus: 64),
            Fx.Task("mem", mem: 1_000_000),
            Fx.Task("like", constraints: [PlacementConstraint.Parse("rack:LIKE:nowhere")]),
            Fx.Task("spot-only", allowPreemptible: false, constraints: [PlacementConstraint.Parse("rack:IS:spot")]),
            Fx.Task("late", hours: 10, deadlineIn: TimeSpan.FromHours(1)),
            reserved,
            ports,
        ],
        [
            Fx.Machine("wide", cpus: 8, mem: 2048, rack: "std"),
            Fx.Machine("deep", cpus: 2, mem: 16384, rack: "std"),
            Fx.Machine("spot", cpus: 8, mem: 16384, pricePerHour: 0.2, preemptible: true, rack: "spot"),
        ]);
        var plan = Fx.Optimizer(algorithm).Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal("ok", Assert.Single(plan.Assignments).TaskId.Value);
        Assert.Equal(PlacementReason.InsufficientCpus, Only(plan, "cpus").Reason);
        Assert.Contains("64 cpus", Only(plan, "cpus").Detail);
        Assert.Equal(PlacementReason.InsufficientMem, Only(plan, "mem").Reason);
        Assert.Equal(PlacementReason.Constraint, Only(plan, "like").Reason);
        Assert.Contains("rack:LIKE:nowhere", Only(plan, "like").Detail);
        Assert.Equal(PlacementReason.Constraint, Only(plan, "spot-only").Reason);
        Assert.Contains("preemptible", Only(plan, "spot-only").Detail);
        Assert.Equal(PlacementReason.Deadline, Only(plan, "late").Reason);
        Assert.Equal(PlacementReason.InsufficientCpus, Only(plan, "reserved").Reason);
        Assert.Contains("cpus(analytics)", Only(plan, "reserved").Detail);
        Assert.Equal(PlacementReason.InsufficientPorts, Only(plan, "ports").Reason);
    }

    [Fact]
    public void Resources_available_only_on_different_machines_are_reported_as_such()
    {
        var problem = Fx.Problem(PlacementObjective.Cheapest, [Fx.Task("big", cpus: 8, mem: 8192)],
            [Fx.Machine("wide", cpus: 8, mem: 2048), Fx.Machine("deep", cpus: 2, mem: 16384)]);
        var u = Assert.Single(Fx.Optimizer().Solve(problem).Unplaced);
        Assert.Equal(PlacementReason.InsufficientOther, u.Reason);
        Assert.Contains("at once", u.Detail);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void When_capacity_is_short_the_lowest_priority_waits(OptimizerAlgorithm algorithm)
    {
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [Fx.Task("low", cpus: 2), Fx.Task("high", cpus: 2, priority: 5), Fx.Task("mid", cpus: 2, priority: 1)],
            [Fx.Machine("only", cpus: 4)]);
        var plan = Fx.Optimizer(algorithm).Solve(problem);
        Assert.Equal(["high", "mid"], plan.Assignments.Select(a => a.TaskId.Value).Order());
        var u = Assert.Single(plan.Unplaced);
        Assert.Equal("low", u.TaskId.Value);
        Assert.Equal(PlacementReason.CapacityExhausted, u.Reason);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Placing_more_tasks_beats_placing_cheaper(OptimizerAlgorithm algorithm)
    {
        // Small on the cheap machine costs 0.5 but leaves the large task nowhere to go; large on cheap and small on
        // pricey costs 11 and places both. Placement comes first.
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [Fx.Task("small", cpus: 2), Fx.Task("large", cpus: 4)],
            [Fx.Machine("cheap", cpus: 4, pricePerHour: 1), Fx.Machine("pricey", cpus: 2, pricePerHour: 10)]);
        var plan = Fx.Optimizer(algorithm).Solve(problem);
        if (algorithm == OptimizerAlgorithm.FirstFit)
        {
            Assert.Single(plan.Assignments); // first-fit puts the small task on the cheap machine and strands the large one
            return;
        }
        Assert.Equal(["pricey", "cheap"], plan.Assignments.Select(a => a.AgentId.Value));
        Assert.Equal(11, plan.TotalCost, 9);
    }

    [Fact]
    public void No_machines_and_no_tasks_are_answered_not_thrown()
    {
        var none = Fx.Optimizer().Solve(Fx.Problem(PlacementObjective.Cheapest, [Fx.Task("a")], []));
        Assert.Equal(PlacementReason.NoMachines, Assert.Single(none.Unplaced).Reason);
        var empty = Fx.Optimizer().Solve(Fx.Problem(PlacementObjective.Pack, [], [Fx.Machine("a")]));
        Assert.Empty(empty.Assignments);
        Assert.Equal(0, empty.TotalCost);
        Assert.Equal(Fx.Now, empty.EstimatedCompletion);
    }
}
