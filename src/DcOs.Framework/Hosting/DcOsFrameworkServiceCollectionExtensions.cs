using DcOs.Framework;
using DcOs.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts a framework scheduler in an application.</summary>
public static class DcOsFrameworkServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TScheduler"/> and an <see cref="IFrameworkClient"/> that connects it to the master
    /// when the host starts, reconnecting and re-subscribing with its framework id as needed.
    /// </summary>
    public static IServiceCollection AddDcOsFramework<TScheduler>(this IServiceCollection services, Action<FrameworkOptions> configure)
        where TScheduler : class, IFrameworkScheduler
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddDcOsTransport();
        services.AddOptions<FrameworkOptions>().Configure(configure);
        services.TryAddSingleton<TScheduler>();
        services.TryAddSingleton<IFrameworkClient>(sp => DcOsFramework.Create(
            sp.GetRequiredService<IDcOsTransport>(),
            sp.GetRequiredService<IOptions<FrameworkOptions>>().Value,
            sp.GetRequiredService<TScheduler>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService<FrameworkHostedService>();
        return services;
    }

    private sealed class FrameworkHostedService(IFrameworkClient client) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => client.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => client.StopAsync(cancellationToken);
    }
}
