using DcOs.Core;

namespace DcOs.Framework;

/// <summary>
/// What a framework author implements: the master's events, delivered one at a time and in order. Derive from
/// <see cref="FrameworkScheduler"/> to override only what you need.
/// </summary>
public interface IFrameworkScheduler
{
    /// <summary>Subscribed (or re-subscribed after a reconnection or failover, with the same id).</summary>
    Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected);

    /// <summary>New offers. Answer each with an accept or a decline; unanswered offers hold resources.</summary>
    Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers);

    /// <summary>An offer is no longer valid.</summary>
    Task OfferRescindedAsync(IFrameworkDriver driver, OfferId offerId);

    /// <summary>
    /// A task's status changed. Each update reaches the scheduler once (duplicates from resends are dropped by update
    /// id, remembered per task: for every task that has not ended, and for the last 100,000 that have) and is
    /// acknowledged after this returns, unless automatic acknowledgement is off. When this throws, the update
    /// is not acknowledged: the agent sends it again and it is delivered again (e.g. after the scheduler's store failed).
    /// </summary>
    Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status);

    /// <summary>Data from an executor.</summary>
    Task FrameworkMessageAsync(IFrameworkDriver driver, AgentId agentId, ExecutorId executorId, byte[] data);

    /// <summary>An agent is unreachable or gone.</summary>
    Task AgentLostAsync(IFrameworkDriver driver, AgentId agentId, string reason);

    /// <summary>The master refused something or reported an error.</summary>
    Task ErrorAsync(IFrameworkDriver driver, string message);

    /// <summary>The connection to the master is lost; the driver reconnects and re-subscribes by itself.</summary>
    Task DisconnectedAsync(IFrameworkDriver driver, string reason);
}
