using System.Globalization;

namespace DcOs.Core.Placement;

/// <summary>
/// What the optimizer minimizes: a weighted sum of a cost term, a time term, a pack term and a spread term, with
/// deadlines optionally enforced as hard limits. Each term is measured in units of its own largest value in the
/// problem (the largest single task cost, the longest single runtime, the dearest idle machine), so weights express
/// relative emphasis, not exchange rates between dollars and hours.
/// </summary>
/// <remarks>
/// Placing tasks always comes first: a plan never leaves a task unplaced to save cost when it could have been placed
/// (a task of priority p weighs as much as p + 1 tasks of priority 0). Weights are checked when a problem is solved.
/// </remarks>
public sealed record PlacementObjective
{
    /// <summary>Minimum total cost.</summary>
    public static PlacementObjective Cheapest { get; } = new() { CostWeight = 1 };

    /// <summary>Minimum total runtime (fast machines first).</summary>
    public static PlacementObjective Fastest { get; } = new() { TimeWeight = 1 };

    /// <summary>Minimum total cost with every deadline met at the chosen machine's speed.</summary>
    public static PlacementObjective CheapestWithinDeadline { get; } = new() { CostWeight = 1, EnforceDeadlines = true };

    /// <summary>Fewest and cheapest idle machines used.</summary>
    public static PlacementObjective Pack { get; } = new() { PackWeight = 1 };

    /// <summary>Fewest tasks sharing machines.</summary>
    public static PlacementObjective Spread { get; } = new() { SpreadWeight = 1 };

    /// <summary>Weight of the total cost (price per hour times runtime, from each machine's <see cref="DcOs.Core.CostModel"/>).</summary>
    public double CostWeight { get; init; }

    /// <summary>Weight of the total runtime (reference duration divided by the machine's speed factor).</summary>
    public double TimeWeight { get; init; }

    /// <summary>Weight of the price per hour of the idle machines the plan starts using (1 each when no machine has a price).</summary>
    public double PackWeight { get; init; }

    /// <summary>Weight of the number of pairs of this problem's tasks that share a machine.</summary>
    public double SpreadWeight { get; init; }

    /// <summary>Whether a task may only go where it finishes by its deadline (tasks without a deadline are unaffected).</summary>
    public bool EnforceDeadlines { get; init; }

    /// <summary>The single-goal objective for <paramref name="kind"/>.</summary>
    public static PlacementObjective For(ObjectiveKind kind) => kind switch
    {
        ObjectiveKind.Cheapest => Cheapest,
        ObjectiveKind.Fastest => Fastest,
        ObjectiveKind.CheapestWithinDeadline => CheapestWithinDeadline,
        ObjectiveKind.Pack => Pack,
        ObjectiveKind.Spread => Spread,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown objective"),
    };

    /// <summary>
    /// A weighted combination, e.g. <c>Combine((Cheapest, 0.8), (Spread, 0.2))</c>. Weights of repeated kinds add up;
    /// <see cref="ObjectiveKind.CheapestWithinDeadline"/> adds to the cost weight and turns deadline enforcement on.
    /// </summary>
    public static PlacementObjective Combine(params ReadOnlySpan<(ObjectiveKind Kind, double Weight)> terms)
    {
        var result = new PlacementObjective();
        foreach (var (kind, weight) in terms)
        {
            result = kind switch
            {
                ObjectiveKind.Cheapest => result with { CostWeight = result.CostWeight + weight },
                ObjectiveKind.Fastest => result with { TimeWeight = result.TimeWeight + weight },
                ObjectiveKind.CheapestWithinDeadline => result with { CostWeight = result.CostWeight + weight, EnforceDeadlines = result.EnforceDeadlines || weight > 0 },
                ObjectiveKind.Pack => result with { PackWeight = result.PackWeight + weight },
                ObjectiveKind.Spread => result with { SpreadWeight = result.SpreadWeight + weight },
                _ => throw new ArgumentOutOfRangeException(nameof(terms), kind, "unknown objective"),
            };
        }
        return result;
    }

    /// <summary>A readable form, e.g. "cost:0.8+spread:0.2, deadlines".</summary>
    public override string ToString()
    {
        var parts = new List<string>(4);
        if (CostWeight != 0) parts.Add("cost:" + CostWeight.ToString("G4", CultureInfo.InvariantCulture));
        if (TimeWeight != 0) parts.Add("time:" + TimeWeight.ToString("G4", CultureInfo.InvariantCulture));
        if (PackWeight != 0) parts.Add("pack:" + PackWeight.ToString("G4", CultureInfo.InvariantCulture));
        if (SpreadWeight != 0) parts.Add("spread:" + SpreadWeight.ToString("G4", CultureInfo.InvariantCulture));
        var text = parts.Count == 0 ? "none" : string.Join('+', parts);
        return EnforceDeadlines ? text + ", deadlines" : text;
    }
}
