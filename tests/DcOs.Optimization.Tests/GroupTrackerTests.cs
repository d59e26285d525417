using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;
using DcOs.Optimization.Internal;

namespace DcOs.Optimization.Tests;

/// <summary>The greedy's incremental constraint check agrees with <see cref="PlacementConstraint.IsSatisfiedBy"/>.</summary>
public sealed class GroupTrackerTests
{
    private static bool IsNewValueAfterThree(PlacementConstraint c, IPlacementTarget candidate, List<IPlacementTarget> placed)
    {
        var value = PlacementConstraint.FieldValue(candidate, c.Field);
        var counts = placed.GroupBy(x => PlacementConstraint.FieldValue(x, c.Field) ?? "\0").ToDictionary(g => g.Key, g => g.Count());
        return value is not null && !counts.ContainsKey(value) && counts.Count > 0 && counts.Values.Max() > 2;
    }

    [Theory]
    [InlineData("hostname:UNIQUE")]
    [InlineData("rack:UNIQUE")]
    [InlineData("rack:MAX_PER:2")]
    [InlineData("rack:CLUSTER")]
    [InlineData("rack:CLUSTER:r1")]
    [InlineData("rack:GROUP_BY")]
    [InlineData("rack:GROUP_BY:3")]
    [InlineData("@zone:GROUP_BY:2")]
    public void Agrees_with_placement_constraint_on_random_sequences(string text)
    {
        var constraint = PlacementConstraint.Parse(text);
        for (var seed = 0; seed < 20; seed++)
        {
            var random = new Random(seed);
            var machines = Enumerable.Range(0, 8).Select(i => Fx.Machine($"m{i}", cpus: 64,
                rack: random.Next(5) == 0 ? null : $"r{random.Next(4)}", zone: random.Next(4) == 0 ? null : $"z{random.Next(3)}")).ToArray();
            var existing = Enumerable.Range(0, random.Next(3)).Select(_ => machines[random.Next(machines.Length)].Target).ToList();
            var problem = Fx.Problem(PlacementObjective.Cheapest, [Fx.Task("t", group: "g", constraints: [constraint])], machines) with
            {
                GroupPlacements = new Dictionary<string, IReadOnlyList<IPlacementTarget>> { ["g"] = existing },
            };
            var compiled = ProblemCompiler.Compile(problem, Fx.Options(), Fx.Now);
            var tracker = new GroupTracker(compiled);
            var placed = new List<IPlacementTarget>(existing);
            for (var step = 0; step < 12; step++)
            {
                for (var m = 0; m < machines.Length; m++)
                {
                    var marathon = constraint.IsSatisfiedBy(machines[m].Target, placed);
                    var mine = compiled.Allowed(0, m) && tracker.Allows(0, m);
                    // GROUP_BY is stricter by design: a new value only while no value holds more than two tasks.
                    var expected = marathon && (constraint.Operator != ConstraintOperator.GroupBy || !IsNewValueAfterThree(constraint, machines[m].Target, placed));
                    Assert.True(expected == mine, $"seed {seed} step {step} machine {m}: marathon {marathon}, tracker {mine}");
                }
                var pick = random.Next(machines.Length);
                tracker.Place(0, pick);
                placed.Add(machines[pick].Target);
            }
        }
    }
}
