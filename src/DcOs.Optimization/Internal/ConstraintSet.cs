using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>
/// A distinct list of constraints. Every constraint has a static part (evaluated against a machine alone: LIKE, IS, the
/// attribute being present); UNIQUE, CLUSTER, GROUP_BY and MAX_PER also depend on where the group's other tasks go.
/// </summary>
internal sealed class ConstraintSet
{
    public required PlacementConstraint[] All { get; init; }

    public required PlacementConstraint[] Dynamic { get; init; }

    public static bool IsDynamic(PlacementConstraint c) =>
        c.Operator is ConstraintOperator.Unique or ConstraintOperator.Cluster or ConstraintOperator.GroupBy or ConstraintOperator.MaxPer;
}
