using DcOs.Agent;
using DcOs.Agent.Internal;
using DcOs.Transport;
using DcOs.Transport.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts a DcOs agent in an application.</summary>
public static class DcOsAgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IDcOsAgent"/> (started and stopped with the host), the transport (TCP unless replaced),
    /// <see cref="TimeProvider.System"/> unless one is registered, logging, and <see cref="AgentOptions"/> validated at
    /// start. Safe to call more than once; later calls only add configuration.
    /// </summary>
    public static DcOsAgentBuilder AddDcOsAgent(this IServiceCollection services, Action<AgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var transport = services.AddDcOsTransport();
        var options = services.AddOptions<AgentOptions>();
        if (configure is not null) options.Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(AgentMarker))) return new DcOsAgentBuilder(services, transport);
        services.AddSingleton<AgentMarker>();
        // TLS to the master when the agent is given what to trust, with its own certificate when it has one.
        services.AddOptions<TransportOptions>().Configure<IOptions<AgentOptions>>((transport, agent) =>
        {
            if (agent.Value.TlsTrustFile is not { } trust || transport.ClientTls is not null) return;
            var own = agent.Value.TlsCertFile is { } cert ? TransportTls.LoadCertificate(cert, agent.Value.TlsKeyFile) : null;
            transport.ClientTls = TransportTls.Client(trust, clientCertificate: own);
        });
        options.ValidateOnStartWith(o => o.Validate());
        services.TryAddSingleton<IDcOsAgent>(sp => new AgentRuntime(
            sp.GetRequiredService<IOptions<AgentOptions>>().Value,
            sp.GetRequiredService<IDcOsTransport>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService<AgentHostedService>();
        return new DcOsAgentBuilder(services, transport);
    }

    private sealed class AgentMarker;


    private sealed class AgentHostedService(IDcOsAgent agent) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => agent.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => agent.StopAsync(cancellationToken);
    }
}
