using System.Diagnostics.Metrics;
using System.Net;
using DcOs.Core.Placement;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;
using DcOs.Transport;
using DcOs.Transport.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts the DcOs master engine in an application.</summary>
public static class DcOsMasterServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMaster"/> (started and stopped with the host), the transport (TCP unless replaced), an
    /// in-memory store unless another <see cref="IMasterStore"/> is registered (e.g. <c>UseSqliteStore</c> from DcOs.Scheduling.Sqlite), and
    /// validated <see cref="MasterOptions"/>. Safe to call more than once.
    /// </summary>
    public static DcOsMasterBuilder AddDcOsMaster(this IServiceCollection services, Action<MasterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var transport = services.AddDcOsTransport();
        var options = services.AddOptions<MasterOptions>();
        if (configure is not null) options.Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(MasterMarker))) return new DcOsMasterBuilder(services, transport);
        services.AddSingleton<MasterMarker>();
        options.ValidateOnStartWith(o => o.Validate());
        services.TryAddSingleton(_ => MasterStores.InMemory());
        services.TryAddSingleton<IMaster>(sp => new MasterEngine(
            sp.GetRequiredService<IOptions<MasterOptions>>().Value,
            sp.GetRequiredService<IDcOsTransport>(),
            sp.GetRequiredService<IMasterStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<IPlacementOptimizer>(),
            sp.GetService<IMeterFactory>()));
        services.AddHostedService(sp => new MasterHostedService(
            sp.GetRequiredService<IMaster>(), sp.GetRequiredService<IOptions<MasterOptions>>().Value, sp.GetRequiredService<IOptions<TransportOptions>>().Value));
        return new DcOsMasterBuilder(services, transport);
    }

    /// <summary>
    /// The optimizer the master places <c>PlaceTasks</c> batches with (e.g. <c>PlacementOptimizer.Create()</c> from
    /// DcOs.Optimization, or <c>services.AddDcOsCostOptimizer()</c>, which registers one). Without one the master
    /// refuses such batches and frameworks place through offers.
    /// </summary>
    public static DcOsMasterBuilder UsePlacementOptimizer(this DcOsMasterBuilder builder, Func<IServiceProvider, IPlacementOptimizer> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }

    /// <summary>
    /// Authenticates every connection with credentials derived from <paramref name="secret"/> (the agents' join token,
    /// each agent's own credential, the frameworks' tokens) and binds identities: see <see cref="ClusterSecret"/>.
    /// </summary>
    public static DcOsMasterBuilder UseClusterSecret(this DcOsMasterBuilder builder, ClusterSecret secret)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(secret);
        builder.Services.Configure<MasterOptions>(o => o.ClusterSecret = secret);
        builder.Services.Configure<TransportOptions>(o => o.CredentialResolver = secret.Resolve);
        return builder;
    }

    private sealed class MasterMarker;


    private sealed class MasterHostedService(IMaster master, MasterOptions options, TransportOptions transport) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            // Secure by default: anyone who reaches an open master owns the cluster, so it stays on loopback unless peers authenticate.
            if (options.EndPoint is IPEndPoint { Address: var address } endPoint && !IPAddress.IsLoopback(address) && !transport.RequiresAuthentication)
            {
                throw new InvalidOperationException(
                    $"the master would listen on {endPoint} without authentication: call UseClusterSecret(...) or add TransportOptions.Credentials, or listen on a loopback address");
            }
            return master.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => master.StopAsync(cancellationToken);
    }
}
