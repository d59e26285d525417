using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>A distinct (cost model, machine total): everything a task's price and runtime on a machine depend on.</summary>
internal sealed class CostProfile
{
    public required CostModel Cost { get; init; }

    public required Resources Total { get; init; }

    public bool Preemptible => Cost.Preemptible;

    /// <summary>The whole machine's price per hour (what releasing it saves).</summary>
    public required double MachinePrice { get; init; }
}
