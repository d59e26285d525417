using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Optimization.Tests;

/// <summary>UNIQUE, MAX_PER, GROUP_BY and CLUSTER (CP-SAT path) and static constraints (flow path).</summary>
public sealed class ConstraintTests
{
    private static PlacementConstraint C(string text) => PlacementConstraint.Parse(text);

    private static PendingTask Web(int i, params PlacementConstraint[] constraints) =>
        Fx.Task($"web-{i}", cpus: 1, mem: 128, group: "web", constraints: constraints);

    [Fact]
    public void Unique_hostname_puts_one_task_per_machine_and_explains_the_rest()
    {
        var unique = C("hostname:UNIQUE");
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [.. Enumerable.Range(0, 4).Select(i => Web(i, unique))],
            [Fx.Machine("a", cpus: 8, pricePerHour: 1), Fx.Machine("b", cpus: 8, pricePerHour: 2), Fx.Machine("c", cpus: 8, pricePerHour: 3)]);
        var plan = Fx.Optimizer().Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal(OptimizerAlgorithm.CpSat, plan.Statistics.Algorithm);
        Assert.Equal(["a", "b", "c"], plan.Assignments.Select(a => a.AgentId.Value).Order());
        var u = Assert.Single(plan.Unplaced);
        Assert.Equal(PlacementReason.Constraint, u.Reason);
        Assert.Contains("hostname:UNIQUE", u.Detail);
    }

    [Fact]
    public void Unique_counts_the_groups_running_tasks()
    {
        var unique = C("hostname:UNIQUE");
        var machines = new[] { Fx.Machine("a", pricePerHour: 1), Fx.Machine("b", pricePerHour: 2), Fx.Machine("c", pricePerHour: 3) };
        var problem = Fx.Problem(PlacementObjective.Cheapest, [Web(0, unique), Web(1, unique)], machines) with
        {
            GroupPlacements = new Dictionary<string, IReadOnlyList<IPlacementTarget>> { ["web"] = [machines[0].Target] },
        };
        var plan = Fx.Optimizer().Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal(["b", "c"], plan.Assignments.Select(a => a.AgentId.Value).Order());
    }

    [Fact]
    public void Max_per_rack_caps_each_rack_even_when_one_rack_is_cheaper()
    {
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [.. Enumerable.Range(0, 5).Select(i => Web(i, C("rack:MAX_PER:2")))],
            [Fx.Machine("a1", cpus: 8, pricePerHour: 1, rack: "r1"), Fx.Machine("a2", cpus: 8, pricePerHour: 1, rack: "r1"),
             Fx.Machine("b1", cpus: 8, pricePerHour: 5, rack: "r2"), Fx.Machine("c1", cpus: 8, pricePerHour: 9, rack: "r3")]);
        var plan = Fx.Optimizer().Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal(5, plan.Assignments.Count);
        var byRack = plan.Assignments.GroupBy(a => problem.Machines[a.MachineIndex].Target.Attributes.GetText("rack")).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(2, byRack["r1"]);
        Assert.Equal(2, byRack["r2"]);
        Assert.Equal(1, byRack["r3"]);
    }

    [Fact]
    public void Group_by_zone_spreads_evenly_although_one_zone_is_cheapest()
    {
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [.. Enumerable.Range(0, 7).Select(i => Web(i, C("@zone:GROUP_BY:3")))],
            [Fx.Machine("a", cpus: 16, pricePerHour: 1, zone: "za"), Fx.Machine("b", cpus: 16, pricePerHour: 4, zone: "zb"), Fx.Machine("c", cpus: 16, pricePerHour: 9, zone: "zc")]);
        var plan = Fx.Optimizer().Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal(7, plan.Assignments.Count);
        var counts = plan.Assignments.GroupBy(a => a.AgentId.Value).ToDictionary(g => g.Key, g => g.Count());
        // Balanced (3/2/2), and the extra task goes to the cheapest zone.
        Assert.Equal(3, counts["a"]);
        Assert.Equal(2, counts["b"]);
        Assert.Equal(2, counts["c"]);
    }

    [Fact]
    public void Group_by_with_too_few_values_places_one_per_value()
    {
        // Marathon: a value gets a second task only when at least 3 values are in use; only 2 exist.
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [.. Enumerable.Range(0, 4).Select(i => Web(i, C("@zone:GROUP_BY:3")))],
            [Fx.Machine("a", cpus: 16, zone: "za"), Fx.Machine("b", cpus: 16, zone: "zb")]);
        var plan = Fx.Optimizer().Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal(2, plan.Assignments.Count);
        Assert.All(plan.Unplaced, u => Assert.Equal(PlacementReason.Constraint, u.Reason));
    }

    [Fact]
    public void Cluster_keeps_the_group_on_the_cheapest_rack_that_holds_it_all()
    {
        // r1 is cheapest but holds only 2 of the 3 tasks; r2 holds all 3.
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [.. Enumerable.Range(0, 3).Select(i => Web(i, C("rack:CLUSTER")))],
            [Fx.Machine("a", cpus: 2, pricePerHour: 1, rack: "r1"), Fx.Machine("b", cpus: 4, pricePerHour: 3, rack: "r2"), Fx.Machine("c", cpus: 4, pricePerHour: 5, rack: "r3")]);
        var plan = Fx.Optimizer().Solve(problem);
        Fx.AssertValid(problem, plan);
        Assert.Equal(3, plan.Assignments.Count);
        Assert.All(plan.Assignments, a => Assert.Equal("b", a.AgentId.Value));
    }

    [Fact]
    public void Like_and_unlike_filter_machines_on_the_flow_path()
    {
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [Fx.Task("x", constraints: [C("rack:LIKE:r[12]"), C("hostname:UNLIKE:b.*")])],
            [Fx.Machine("a", pricePerHour: 3, rack: "r1"), Fx.Machine("b", pricePerHour: 2, rack: "r2"), Fx.Machine("c", pricePerHour: 1, rack: "r3")])
            with { Billing = BillingMode.Chargeback }; // linear: Auto takes the flow
        var plan = Fx.Optimizer().Solve(problem);
        Assert.Equal(OptimizerAlgorithm.MinCostFlow, plan.Statistics.Algorithm);
        Assert.Equal("a", Assert.Single(plan.Assignments).AgentId.Value);
    }

    [Fact]
    public void The_flow_path_honors_group_constraints_through_its_repair_pass()
    {
        var problem = Fx.Problem(PlacementObjective.Cheapest,
            [.. Enumerable.Range(0, 4).Select(i => Web(i, C("hostname:UNIQUE"))), Fx.Task("other", cpus: 1)],
            [Fx.Machine("a", cpus: 8, pricePerHour: 1), Fx.Machine("b", cpus: 8, pricePerHour: 2), Fx.Machine("c", cpus: 8, pricePerHour: 3)]);
        foreach (var algorithm in new[] { OptimizerAlgorithm.MinCostFlow, OptimizerAlgorithm.FirstFit, OptimizerAlgorithm.BestFit })
        {
            var plan = Fx.Optimizer(algorithm).Solve(problem);
            Fx.AssertValid(problem, plan);
            Assert.Equal(4, plan.Assignments.Count);
        }
    }

    [Fact]
    public void Cp_sat_matches_exhaustive_search_with_group_constraints()
    {
        string[] kinds = ["hostname:UNIQUE", "rack:MAX_PER:2", "rack:GROUP_BY:2", "rack:CLUSTER", "@zone:GROUP_BY"];
        for (var seed = 0; seed < 30; seed++)
        {
            var random = new Random(seed);
            var constraint = C(kinds[seed % kinds.Length]);
            var n = random.Next(2, 6);
            var tasks = Enumerable.Range(0, n).Select(i =>
                Fx.Task($"t{i}", cpus: new[] { 1.0, 2 }[random.Next(2)], hours: new[] { 1.0, 2 }[random.Next(2)], priority: random.Next(2),
                    group: random.Next(4) == 0 ? null : "g", constraints: [constraint])).ToArray();
            var machines = Enumerable.Range(0, random.Next(2, 4)).Select(i =>
                Fx.Machine($"m{i}", cpus: new[] { 2.0, 3, 4 }[random.Next(3)], pricePerHour: new[] { 1.0, 2, 3 }[random.Next(3)],
                    speed: new[] { 1.0, 2 }[random.Next(2)], rack: $"r{random.Next(2)}", zone: $"z{random.Next(3)}")).ToArray();
            var objective = seed % 3 == 0 ? PlacementObjective.Pack : seed % 3 == 1 ? PlacementObjective.Cheapest : PlacementObjective.Spread;
            var problem = Fx.Problem(objective, tasks, machines);
            var plan = Fx.Optimizer(OptimizerAlgorithm.CpSat).Solve(problem);
            Fx.AssertValid(problem, plan);
            var best = BruteForce.Optimum(problem);
            var mine = BruteForce.Of(problem, plan);
            Assert.True(best.PlacedWeight == mine.PlacedWeight, $"seed {seed} ({constraint}): placed {mine.PlacedWeight}, optimum {best.PlacedWeight}");
            Assert.True(mine.Objective <= best.Objective + BruteForce.Tolerance(problem), $"seed {seed} ({constraint}): {mine.Objective} vs {best.Objective}");
            Assert.Equal(0, plan.OptimalityGap);
        }
    }
}
