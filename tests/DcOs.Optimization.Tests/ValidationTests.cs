using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>Bad input is refused with the field named; it never reaches a solver.</summary>
public sealed class ValidationTests
{
    private static ValidationException Refused(PlacementProblem problem) =>
        Assert.Throws<ValidationException>(() => Fx.Optimizer().Solve(problem));

    private static PlacementProblem With(params PendingTask[] tasks) => Fx.Problem(PlacementObjective.Cheapest, tasks, [Fx.Machine("a")]);

    [Theory]
    [InlineData(double.NaN, "objective.costWeight", "NaN")]
    [InlineData(double.PositiveInfinity, "objective.costWeight", "finite")]
    [InlineData(-1.0, "objective.costWeight", "negative")]
    public void Bad_weights_are_refused(double weight, string field, string reason)
    {
        var e = Refused(With(Fx.Task("a")) with { Objective = new PlacementObjective { CostWeight = weight } });
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Reason);
    }

    [Fact]
    public void An_objective_with_no_weight_is_refused()
    {
        Assert.Equal("objective", Refused(With(Fx.Task("a")) with { Objective = new PlacementObjective { EnforceDeadlines = true } }).Field);
    }

    [Fact]
    public void A_deadline_in_the_past_is_refused_against_the_injected_clock()
    {
        var e = Refused(With(Fx.Task("a"), Fx.Task("b", deadlineIn: TimeSpan.FromMinutes(-1))));
        Assert.Equal("tasks[1].deadline", e.Field);
        Assert.Contains("is in the past", e.Reason);
        // One tick in the future is fine.
        Fx.Optimizer().Solve(With(Fx.Task("a", deadlineIn: TimeSpan.FromTicks(1))));
    }

    [Fact]
    public void Bad_durations_work_units_and_priorities_are_refused()
    {
        Assert.Equal("tasks[0].duration", Refused(With(Fx.Task("a") with { Duration = TimeSpan.FromHours(-1) })).Field);
        Assert.Equal("tasks[0].duration", Refused(With(Fx.Task("a") with { Duration = TimeSpan.Zero })).Field);
        Assert.Equal("tasks[0].workUnits", Refused(With(Fx.Task("a") with { Duration = null, WorkUnits = double.NaN })).Field);
        Assert.Equal("tasks[0].workUnits", Refused(With(Fx.Task("a") with { Duration = null, WorkUnits = double.PositiveInfinity })).Field);
        Assert.Equal("tasks[0].workUnits", Refused(With(Fx.Task("a") with { Duration = null, WorkUnits = -2 })).Field);
        Assert.Equal("tasks[0].workUnits", Refused(With(Fx.Task("a") with { WorkUnits = 2 })).Field);
        Assert.Equal("tasks[0].priority", Refused(With(Fx.Task("a", priority: 1001))).Field);
        Assert.Equal("tasks[0].priority", Refused(With(Fx.Task("a", priority: -1))).Field);
        Assert.Equal("tasks[0].group", Refused(With(Fx.Task("a", group: " "))).Field);
    }

    [Fact]
    public void Invalid_specs_and_repeated_ids_are_refused_with_their_position()
    {
        var noResources = Fx.Task("b") with { Spec = Fx.Spec("b", 1, 1) with { Resources = Resources.Empty } };
        Assert.Equal("tasks[1].spec.resources", Refused(With(Fx.Task("a"), noResources)).Field);
        var e = Refused(With(Fx.Task("a"), Fx.Task("b"), Fx.Task("a")));
        Assert.Equal("tasks[2].spec.id", e.Field);
        Assert.Contains("tasks[0]", e.Reason);
        Assert.Equal("machines[1].agentId", Refused(Fx.Problem(PlacementObjective.Cheapest, [Fx.Task("a")], [Fx.Machine("a"), Fx.Machine("a")])).Field);
    }

    [Fact]
    public void Bad_prices_and_speeds_are_refused_where_the_cost_model_is_built()
    {
        Assert.Equal("cost.machinePerHour", Assert.Throws<ValidationException>(() => new CostModel { MachinePerHour = -1 }).Field);
        Assert.Equal("cost.machinePerHour", Assert.Throws<ValidationException>(() => new CostModel { MachinePerHour = double.NaN }).Field);
        Assert.Equal("cost.speedFactor", Assert.Throws<ValidationException>(() => new CostModel { SpeedFactor = 0 }).Field);
        Assert.Equal("cost.speedFactor", Assert.Throws<ValidationException>(() => new CostModel { SpeedFactor = double.PositiveInfinity }).Field);
        Assert.Equal("cost.perUnitPerHour.cpus",
            Assert.Throws<ValidationException>(() => new CostModel { PerUnitPerHour = new Dictionary<string, double> { ["cpus"] = double.NaN } }).Field);
    }

    [Fact]
    public void Bad_options_are_refused_when_the_optimizer_is_created()
    {
        Assert.Equal("options.timeLimit", Assert.Throws<ValidationException>(() => PlacementOptimizer.Create(new OptimizerOptions { TimeLimit = TimeSpan.Zero })).Field);
        Assert.Equal("options.workers", Assert.Throws<ValidationException>(() => PlacementOptimizer.Create(new OptimizerOptions { Workers = 0 })).Field);
        Assert.Equal("options.workUnitsPerHour", Assert.Throws<ValidationException>(() => PlacementOptimizer.Create(new OptimizerOptions { WorkUnitsPerHour = double.NaN })).Field);
        Assert.Equal("options.relativeGapLimit", Assert.Throws<ValidationException>(() => PlacementOptimizer.Create(new OptimizerOptions { RelativeGapLimit = -0.1 })).Field);
        Assert.Equal("options.defaultDuration", Assert.Throws<ValidationException>(() => PlacementOptimizer.Create(new OptimizerOptions { DefaultDuration = TimeSpan.FromHours(-1) })).Field);
    }

    [Fact]
    public void Bad_offers_are_refused_with_their_position()
    {
        var offer = new Offer
        {
            Id = new OfferId("o1"), FrameworkId = new FrameworkId("f"), AgentId = new AgentId("a"), Hostname = "a", Resources = Resources.Parse("cpus:4;mem:1024"),
        };
        Assert.Equal("offers[1].id", Assert.Throws<ValidationException>(() => OfferPlanner.Plan(PlacementOptimizer.Create(Fx.Options()), [offer, offer], [Fx.Task("t")])).Field);
        Assert.Equal("offers[1].agentId", Assert.Throws<ValidationException>(() => PlacementMachine.FromOffers([offer, offer with { Id = new OfferId("o2"), AgentId = new AgentId("b") }])).Field);
    }
}
