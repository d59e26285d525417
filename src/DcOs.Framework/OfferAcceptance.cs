using DcOs.Core;

namespace DcOs.Framework;

/// <summary>One accept call: the offers of one agent and the tasks to launch with them.</summary>
public sealed record OfferAcceptance
{
    /// <summary>The agent the offers are on.</summary>
    public required AgentId AgentId { get; init; }

    /// <summary>Every offer of that agent (what the tasks do not use returns to the master on accept).</summary>
    public required IReadOnlyList<OfferId> OfferIds { get; init; }

    /// <summary>The tasks to launch, in task order.</summary>
    public required IReadOnlyList<TaskSpec> Tasks { get; init; }
}
