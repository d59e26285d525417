using System.Diagnostics.Metrics;
using DcOs.Transport.Hosting;
using DcOs.Transport.InMemory;
using DcOs.Transport.Internal;
using DcOs.Transport.Tcp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DcOs transports in a service collection.</summary>
public static class DcOsTransportServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DcOs.Transport.IDcOsTransport"/> (TCP by default), validated
    /// <see cref="DcOs.Transport.TransportOptions"/>, <see cref="TimeProvider.System"/> unless one is registered,
    /// logging and options. Safe to call more than once; later calls only add configuration.
    /// </summary>
    public static DcOsTransportBuilder AddDcOsTransport(this IServiceCollection services, Action<DcOs.Transport.TransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddLogging();
        services.AddOptions();
        var optionsBuilder = services.AddOptions<DcOs.Transport.TransportOptions>();
        if (configure is not null) optionsBuilder.Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(TransportMarker))) return new DcOsTransportBuilder(services);

        services.AddSingleton<TransportMarker>();
        optionsBuilder.ValidateOnStartWith(o => o.Validate());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new TransportMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => new ConnectionBuilder(
            sp.GetRequiredService<IOptions<DcOs.Transport.TransportOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("DcOs.Transport"),
            sp.GetRequiredService<TransportMetrics>()));
        services.TryAddSingleton<DcOs.Transport.IDcOsTransport>(sp => new TcpTransport(sp.GetRequiredService<ConnectionBuilder>()));
        return new DcOsTransportBuilder(services);
    }

    /// <summary>Replaces the TCP transport with one shared in-memory transport (tests, simulations).</summary>
    public static DcOsTransportBuilder UseInMemoryTransport(this DcOsTransportBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<DcOs.Transport.IDcOsTransport>(sp => new InMemoryTransport(sp.GetRequiredService<ConnectionBuilder>())));
        return builder;
    }

    private sealed class TransportMarker;

}
