namespace DcOs.Scheduling.Master;

/// <summary>How many agents may be declared unreachable per period (see <see cref="MasterOptions.AgentRemovalRateLimit"/>).</summary>
/// <param name="Agents">Agents per period, at least 1.</param>
/// <param name="Per">The period.</param>
public sealed record AgentRemovalRateLimit(int Agents, TimeSpan Per)
{
    /// <summary>The time between two removals: the period shared evenly.</summary>
    public TimeSpan Interval => Per / Agents;
}
