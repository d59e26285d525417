using DcOs.Core;
using DcOs.Scheduling.Allocation;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The outstanding offers, found by id, by framework (<see cref="FrameworkState.Offers"/>) and by agent
/// (<see cref="AgentState.Offers"/>). An offer's resources count as allocated to its framework in the allocator from
/// the moment it is made until it is taken by a launch or recovered; the three indexes change only here, together.
/// </summary>
internal sealed class OfferBook(HierarchicalAllocator allocator, string runId)
{
    private readonly Dictionary<OfferId, OfferEntry> _byId = [];
    private long _next;

    public int Count => _byId.Count;

    /// <summary>Records an offer the allocator just made (its resources are already allocated to the framework).</summary>
    public OfferEntry Add(FrameworkState fw, AgentState agent, string role, Resources resources, DateTimeOffset? expiresAt)
    {
        var offer = new Offer
        {
            Id = new OfferId($"{runId}-O{++_next}"),
            FrameworkId = fw.Id,
            AgentId = agent.Id,
            Hostname = agent.Info.Hostname,
            Resources = resources,
            Attributes = agent.Info.Attributes,
            Region = agent.Info.Region,
            Zone = agent.Info.Zone,
            Cost = agent.Info.Cost,
            AgentTotal = agent.Info.Resources,
            Gpus = agent.FreeGpus(),
        };
        var entry = new OfferEntry(offer, fw, agent, role, expiresAt);
        _byId[offer.Id] = entry;
        fw.Offers[offer.Id] = entry;
        agent.Offers.Add(entry);
        return entry;
    }

    /// <summary>Records a round's offers; they come back grouped by framework, to send one message to each.</summary>
    public Dictionary<FrameworkState, List<Offer>> AddAll(List<AllocationDecision> decisions, AgentTable agents, FrameworkTable frameworks, DateTimeOffset? expiresAt)
    {
        var outgoing = new Dictionary<FrameworkState, List<Offer>>();
        foreach (var decision in decisions)
        {
            var fw = frameworks.WithHandle(decision.Framework) ?? throw new InvalidOperationException($"the allocator offered to removed framework handle {decision.Framework}");
            var entry = Add(fw, agents.AtSlot(decision.AgentSlot), decision.Role, decision.Resources, expiresAt);
            if (!outgoing.TryGetValue(fw, out var list)) outgoing[fw] = list = [];
            list.Add(entry.Offer);
        }
        return outgoing;
    }

    /// <summary>Withdraws an offer and gives its resources back to the agent's free pool; false when it was already gone.</summary>
    public bool Recover(OfferEntry offer)
    {
        if (!Forget(offer)) return false;
        allocator.Recover(offer.Agent.Slot, offer.Framework.Handle, offer.Role, offer.Offer.Resources);
        return true;
    }

    /// <summary>Takes an offer out for a launch: its resources stay allocated to the framework (the launch decides what returns).</summary>
    public bool Take(OfferEntry offer) => Forget(offer);

    /// <summary>The offers whose timeout has passed.</summary>
    public List<OfferEntry> Expired(DateTimeOffset now) => [.. _byId.Values.Where(o => o.ExpiresAt is { } e && e <= now)];

    /// <summary>Every outstanding offer (a copy, safe to recover while iterating).</summary>
    public List<OfferEntry> All() => [.. _byId.Values];

    /// <summary>The resources held in offers on <paramref name="agent"/>.</summary>
    public static Resources OfferedOn(AgentState agent)
    {
        var offered = Resources.Empty;
        foreach (var o in agent.Offers) offered = offered.Add(o.Offer.Resources);
        return offered;
    }

    private bool Forget(OfferEntry offer)
    {
        if (!_byId.Remove(offer.Id)) return false;
        offer.Framework.Offers.Remove(offer.Id);
        offer.Agent.Offers.Remove(offer);
        return true;
    }
}
