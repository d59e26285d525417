using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Framework;

/// <summary>What a framework does with the offers it holds: accept some for tasks, decline the rest.</summary>
public sealed record OfferPlan
{
    /// <summary>One accept per agent that receives tasks, in offer order.</summary>
    public required IReadOnlyList<OfferAcceptance> Accept { get; init; }

    /// <summary>Offers no task uses, in offer order.</summary>
    public required IReadOnlyList<OfferId> Decline { get; init; }

    /// <summary>Tasks left pending, with reasons.</summary>
    public required IReadOnlyList<UnplacedTask> Unplaced { get; init; }

    /// <summary>The unplaced tasks' reasons in the master's terms, counted, to send with the declines ("why pending").</summary>
    public required IReadOnlyDictionary<PlacementReason, long> DeclineReasons { get; init; }

    /// <summary>The full placement plan behind the decision (costs, completion, gap, statistics).</summary>
    public required PlacementPlan Placement { get; init; }
}
