using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>A group with dynamic constraints: the union of its tasks' UNIQUE/CLUSTER/GROUP_BY/MAX_PER and where it already runs.</summary>
internal sealed class GroupInfo
{
    public required string Name { get; init; }

    public required PlacementConstraint[] Dynamic { get; init; }

    public required IReadOnlyList<IPlacementTarget> Existing { get; init; }
}
