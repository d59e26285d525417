namespace DcOs.Core.Placement;

/// <summary>
/// Capacity the optimizer may use: one agent's free resources, either known to the master (an <see cref="AgentInfo"/>
/// and what is free on it) or held by a framework as offers. Offers of one agent are merged, since one accept can use
/// several offers of the same agent.
/// </summary>
public sealed class PlacementMachine
{
    private PlacementMachine(AgentId agentId, IPlacementTarget target, IReadOnlyList<OfferId> offerIds, Resources free, Resources total, CostModel cost, IReadOnlyList<GpuAvailability> gpus)
    {
        Gpus = gpus;
        AgentId = agentId;
        Target = target;
        OfferIds = offerIds;
        Free = free;
        Total = total;
        Cost = cost;
        IsIdle = free.Contains(total);
    }

    /// <summary>The agent.</summary>
    public AgentId AgentId { get; }

    /// <summary>What constraints see of the machine (hostname, zone, region, attributes).</summary>
    public IPlacementTarget Target { get; }

    /// <summary>The offers this capacity comes from; empty for capacity known to the master.</summary>
    public IReadOnlyList<OfferId> OfferIds { get; }

    /// <summary>What tasks may use now.</summary>
    public Resources Free { get; }

    /// <summary>The machine's total resources, over which a machine price is apportioned.</summary>
    public Resources Total { get; }

    /// <summary>
    /// The machine's GPU devices and the free share of each; empty when it lists none (its <c>gpus</c> are then placed as
    /// a plain scalar). Tasks asking for GPUs are placed per device here: a share on one device, whole devices whole.
    /// </summary>
    public IReadOnlyList<GpuAvailability> Gpus { get; }

    /// <summary>Prices, speed and the preemptible flag.</summary>
    public CostModel Cost { get; }

    /// <summary>
    /// Whether nothing runs on the machine (its free resources cover its total): only such a machine can be released,
    /// so only it carries a fixed cost under <see cref="PlacementObjective.PackWeight"/>.
    /// </summary>
    public bool IsIdle { get; }

    /// <summary>
    /// An agent's capacity: <paramref name="free"/> defaults to all of the agent's resources, <paramref name="gpus"/> (the
    /// free share of each device) to every device of the agent free.
    /// </summary>
    /// <exception cref="ValidationException">The agent has no id or no hostname, or <paramref name="gpus"/> names a device the agent does not list.</exception>
    public static PlacementMachine FromAgent(AgentInfo agent, Resources? free = null, IReadOnlyList<GpuAvailability>? gpus = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        if (agent.Id.IsEmpty) throw new ValidationException("agent.id", "must be set (the agent must be registered)");
        if (string.IsNullOrWhiteSpace(agent.Hostname)) throw new ValidationException("agent.hostname", "must not be empty");
        var devices = gpus ?? [.. (agent.Gpus ?? []).Select(d => new GpuAvailability(d, 1))];
        ValidateGpus(devices, "gpus");
        return new PlacementMachine(agent.Id, agent, [], free ?? agent.Resources, agent.Resources, agent.Cost ?? CostModel.Free, devices);
    }

    /// <summary>One offer's capacity.</summary>
    public static PlacementMachine FromOffer(Offer offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        return FromOffers([offer]);
    }

    /// <summary>
    /// The capacity of several offers of one agent, merged. The machine's attributes, cost and total come from the
    /// first offer; the total is the offered resources when the offer does not carry the agent's total.
    /// </summary>
    /// <exception cref="ValidationException">No offers, offers of different agents, a repeated offer, or overlapping resources.</exception>
    public static PlacementMachine FromOffers(IReadOnlyList<Offer> offers)
    {
        ArgumentNullException.ThrowIfNull(offers);
        if (offers.Count == 0) throw new ValidationException("offers", "must hold at least one offer");
        var first = offers[0] ?? throw new ValidationException("offers[0]", "is required");
        if (first.AgentId.IsEmpty) throw new ValidationException("offers[0].agentId", "must be set");
        var ids = new OfferId[offers.Count];
        var free = Resources.Empty;
        for (var i = 0; i < offers.Count; i++)
        {
            var offer = offers[i] ?? throw new ValidationException($"offers[{i}]", "is required");
            if (offer.AgentId != first.AgentId)
                throw new ValidationException($"offers[{i}].agentId", $"is {offer.AgentId} but offers[0] is on {first.AgentId}; merge only offers of one agent");
            if (offer.Id.IsEmpty) throw new ValidationException($"offers[{i}].id", "must be set");
            if (Array.IndexOf(ids, offer.Id, 0, i) >= 0) throw new ValidationException($"offers[{i}].id", $"repeats offer {offer.Id}");
            ids[i] = offer.Id;
            try
            {
                free += offer.Resources ?? throw new ValidationException($"offers[{i}].resources", "is required");
            }
            catch (ValidationException e) when (!e.Field.StartsWith("offers[", StringComparison.Ordinal))
            {
                throw e.Within($"offers[{i}]");
            }
        }
        var total = first.AgentTotal is { IsEmpty: false } t ? t : free;
        var gpus = first.Gpus ?? [];
        ValidateGpus(gpus, "offers[0].gpus");
        return new PlacementMachine(first.AgentId, first, ids, free, total, first.Cost ?? CostModel.Free, gpus);
    }

    private static void ValidateGpus(IReadOnlyList<GpuAvailability> gpus, string field)
    {
        for (var i = 0; i < gpus.Count; i++)
        {
            if (gpus[i]?.Device is not { } device) throw new ValidationException($"{field}[{i}]", "is required");
            device.Validate($"{field}[{i}]");
            var free = gpus[i].Free;
            if (!(free >= 0 && free <= 1)) throw new ValidationException($"{field}[{i}].free", $"must be between 0 and 1 (got {free})");
            for (var j = 0; j < i; j++)
            {
                if (gpus[j].Device.Index == device.Index) throw new ValidationException($"{field}[{i}].index", $"repeats device {device.Index}");
            }
        }
    }
}
