using DcOs.Transport.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddDcOsAgent</c>, for agent feature extensions.</summary>
/// <param name="services">The service collection.</param>
/// <param name="transport">The transport's builder (e.g. <c>UseInMemoryTransport()</c>).</param>
public sealed class DcOsAgentBuilder(IServiceCollection services, DcOsTransportBuilder transport)
{
    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; } = services;

    /// <summary>The transport's builder.</summary>
    public DcOsTransportBuilder Transport { get; } = transport;
}
