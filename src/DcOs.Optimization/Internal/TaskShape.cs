using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>A distinct resource request: scalar demand per dimension in thousandths, plus any ranges or sets (ports).</summary>
internal sealed class TaskShape
{
    public required Resources Resources { get; init; }

    /// <summary>Demand per dimension, in <see cref="Scalar.Milli"/>.</summary>
    public required long[] Demand { get; init; }

    /// <summary>The non-scalar part (specific ports, set items), or null; such a task is checked with <see cref="Resources.Contains"/>.</summary>
    public required Resources? NonScalar { get; init; }
}
