using DcOs.Core.Placement;

namespace DcOs.Optimization.Internal;

/// <summary>The objective's weights scaled to sum to one, so every scaled term stays below <see cref="CompiledProblem.Scale"/>.</summary>
internal readonly record struct ObjectiveWeights(double Cost, double Time, double Pack, double Spread, bool Deadlines)
{
    public static ObjectiveWeights From(PlacementObjective o)
    {
        var sum = o.CostWeight + o.TimeWeight + o.PackWeight + o.SpreadWeight;
        return new(o.CostWeight / sum, o.TimeWeight / sum, o.PackWeight / sum, o.SpreadWeight / sum, o.EnforceDeadlines);
    }

    /// <summary>Whether every term is linear in the placement (then the flow is exact up to multi-dimensional packing).</summary>
    public bool IsLinear => Pack == 0;
}
