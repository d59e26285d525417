using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

public sealed class SmokeTests
{
    [Theory]
    [InlineData(OptimizerAlgorithm.MinCostFlow)]
    [InlineData(OptimizerAlgorithm.CpSat)]
    [InlineData(OptimizerAlgorithm.FirstFit)]
    [InlineData(OptimizerAlgorithm.BestFit)]
    public void Places_two_tasks_on_the_cheaper_machine(OptimizerAlgorithm algorithm)
    {
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [Fx.Task("a"), Fx.Task("b")],
            [Fx.Machine("pricey", pricePerHour: 4), Fx.Machine("cheap", pricePerHour: 1)]);
        // The flow proves optimality for linear objectives: under chargeback (machine billing adds a fixed charge).
        if (algorithm == OptimizerAlgorithm.MinCostFlow) problem = problem with { Billing = BillingMode.Chargeback };
        var plan = Fx.Optimizer(algorithm).Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal(2, plan.Assignments.Count);
        if (algorithm is OptimizerAlgorithm.MinCostFlow or OptimizerAlgorithm.CpSat)
        {
            Assert.All(plan.Assignments, a => Assert.Equal("cheap", a.AgentId.Value));
            Assert.Equal(0, plan.OptimalityGap);
        }
    }
}
