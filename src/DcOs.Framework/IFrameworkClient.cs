namespace DcOs.Framework;

/// <summary>A running framework: its driver, plus start and stop. Made by <see cref="DcOsFramework.Create"/>.</summary>
public interface IFrameworkClient : IFrameworkDriver, IAsyncDisposable
{
    /// <summary>Starts connecting; completes at once (subscription happens in the background and is retried).</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when the framework is first subscribed.</summary>
    Task Subscribed { get; }

    /// <summary>
    /// The last scheduler callback that threw, or null: for the framework's own status (an API, a dashboard). Offers
    /// of a failed <see cref="IFrameworkScheduler.OffersAsync"/> that it had not answered were declined.
    /// </summary>
    FrameworkCallbackError? LastCallbackError { get; }

    /// <summary>Disconnects (the framework fails over if its failover timeout allows).</summary>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes the framework from the master: all its tasks are killed.</summary>
    Task TeardownAsync();
}
