using System.Net;

namespace DcOs.SampleMaster.Security;

/// <summary>How this sample master is secured: its cluster's credentials (null when started with --insecure).</summary>
public sealed record SampleSecurity(ClusterBootstrap? Cluster)
{
    /// <summary>The TLS certificate of the transport and the API (--tls-cert); null when both are plain.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    /// <summary>What agents trust to reach the master over TLS (--tls-trust, default the certificate itself).</summary>
    public string? TrustFile { get; init; }

    /// <summary>The address a process on this machine connects to: loopback when the master listens on every interface.</summary>
    public static EndPoint Reachable(EndPoint bound) => bound switch
    {
        IPEndPoint { Address: var a } ip when a.Equals(IPAddress.Any) => new IPEndPoint(IPAddress.Loopback, ip.Port),
        IPEndPoint { Address: var a } ip when a.Equals(IPAddress.IPv6Any) => new IPEndPoint(IPAddress.IPv6Loopback, ip.Port),
        _ => bound,
    };
}
