using DcOs.Core;

namespace DcOs.Framework;

/// <summary>A base <see cref="IFrameworkScheduler"/> whose methods do nothing, except that offers are declined.</summary>
public abstract class FrameworkScheduler : IFrameworkScheduler
{
    /// <inheritdoc />
    public virtual Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected) => Task.CompletedTask;

    /// <summary>Declines every offer with the default filter (5 s) unless overridden.</summary>
    public virtual async Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(offers);
        await driver.DeclineAsync([.. offers.Select(o => o.Id)]).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public virtual Task OfferRescindedAsync(IFrameworkDriver driver, OfferId offerId) => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status) => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task FrameworkMessageAsync(IFrameworkDriver driver, AgentId agentId, ExecutorId executorId, byte[] data) => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task AgentLostAsync(IFrameworkDriver driver, AgentId agentId, string reason) => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task ErrorAsync(IFrameworkDriver driver, string message) => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task DisconnectedAsync(IFrameworkDriver driver, string reason) => Task.CompletedTask;
}
