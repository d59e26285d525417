using Microsoft.Extensions.DependencyInjection;

namespace DcOs.Transport.Hosting;

/// <summary>Returned by <c>AddDcOsTransport</c>, for transport feature extensions.</summary>
/// <param name="services">The service collection.</param>
public sealed class DcOsTransportBuilder(IServiceCollection services)
{
    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; } = services;
}
