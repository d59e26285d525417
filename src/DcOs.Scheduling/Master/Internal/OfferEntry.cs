using DcOs.Core;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>An outstanding offer.</summary>
internal sealed class OfferEntry(Offer offer, FrameworkState framework, AgentState agent, string role, DateTimeOffset? expiresAt)
{
    public Offer Offer { get; } = offer;

    public OfferId Id => Offer.Id;

    public FrameworkState Framework { get; } = framework;

    public AgentState Agent { get; } = agent;

    public string Role { get; } = role;

    public DateTimeOffset? ExpiresAt { get; } = expiresAt;
}
