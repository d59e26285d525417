using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>The framework-side helper: accept per agent, decline the rest, report why tasks wait.</summary>
public sealed class OfferPlannerTests
{
    private static readonly FrameworkId Framework = new("fw");

    private static Offer Offer(string id, string agent, string resources, double pricePerHour, double speed = 1, string total = "cpus:8;mem:8192") => new()
    {
        Id = new OfferId(id),
        FrameworkId = Framework,
        AgentId = new AgentId(agent),
        Hostname = agent + ".example",
        Resources = Resources.Parse(resources),
        AgentTotal = Resources.Parse(total),
        Cost = new CostModel { MachinePerHour = pricePerHour, SpeedFactor = speed },
    };

    [Fact]
    public void Accepts_the_cheapest_agent_with_all_its_offers_and_declines_the_others()
    {
        var offers = new[]
        {
            Offer("o1", "pricey", "cpus:8;mem:8192", 8),
            Offer("o2", "cheap", "cpus:2;mem:2048", 1),
            Offer("o3", "cheap", "cpus:2;mem:2048", 1),
            Offer("o4", "spare", "cpus:8;mem:8192", 3),
        };
        var plan = OfferPlanner.Plan(PlacementOptimizer.Create(Fx.Options()), offers, [Fx.Task("a", cpus: 2, mem: 1024), Fx.Task("b", cpus: 2, mem: 1024)]);
        var accept = Assert.Single(plan.Accept);
        Assert.Equal("cheap", accept.AgentId.Value);
        Assert.Equal(["o2", "o3"], accept.OfferIds.Select(o => o.Value));
        Assert.Equal(["a", "b"], accept.Tasks.Select(t => t.Id.Value));
        Assert.Equal(["o1", "o4"], plan.Decline.Select(o => o.Value));
        Assert.Empty(plan.Unplaced);
        // The cheap agent offers 4 of its 8 cpus: it already runs something, so (machine billing) its room is paid for.
        Assert.Equal(0, plan.Placement.TotalCost, 9);
        Assert.Empty(plan.Placement.Bill.MachinesSwitchedOn);
    }

    [Fact]
    public void Tasks_that_fit_nowhere_are_reported_and_counted_for_the_declines()
    {
        var offers = new[] { Offer("o1", "a", "cpus:2;mem:2048", 1) };
        var plan = OfferPlanner.Plan(PlacementOptimizer.Create(Fx.Options()), offers,
            [Fx.Task("huge", cpus: 16), Fx.Task("picky", constraints: [PlacementConstraint.Parse("hostname:LIKE:b.*")])],
            PlacementObjective.Cheapest);
        Assert.Empty(plan.Accept);
        Assert.Equal(["o1"], plan.Decline.Select(o => o.Value));
        Assert.Equal(2, plan.Unplaced.Count);
        Assert.Equal(1, plan.DeclineReasons[PlacementReason.InsufficientCpus]);
        Assert.Equal(1, plan.DeclineReasons[PlacementReason.Constraint]);
    }

    [Fact]
    public void The_deadline_objective_picks_among_offers_by_speed()
    {
        var offers = new[] { Offer("slow", "s", "cpus:8;mem:8192", 1, speed: 0.5), Offer("fast", "f", "cpus:8;mem:8192", 4, speed: 2) };
        var urgent = Fx.Task("job", cpus: 8, hours: 2, deadlineIn: TimeSpan.FromHours(2));
        var plan = OfferPlanner.Plan(PlacementOptimizer.Create(Fx.Options()), offers, [urgent], PlacementObjective.CheapestWithinDeadline);
        Assert.Equal("f", Assert.Single(plan.Accept).AgentId.Value);
        Assert.Equal(["slow"], plan.Decline.Select(o => o.Value));
    }
}
