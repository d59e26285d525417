using System.Net;

namespace DcOs.Transport;

/// <summary>
/// A transport: TCP (TLS when configured) or in memory for tests and simulations. Users choose and configure one
/// (<c>AddDcOsTransport().UseInMemoryTransport()</c>, <see cref="DcOsTransports"/>) and hand it to a master, an agent
/// or a framework; its members are the DcOs packages' own, so the protocol's messages stay internal to them.
/// </summary>
public interface IDcOsTransport
{
    /// <summary>Starts listening on <paramref name="endPoint"/> (an <see cref="IPEndPoint"/>, or an <see cref="InMemoryEndPoint"/>).</summary>
    internal ValueTask<IConnectionListener> ListenAsync(EndPoint endPoint, CancellationToken cancellationToken = default);

    /// <summary>Connects and completes the handshake; the connection is returned not yet started.</summary>
    /// <exception cref="HandshakeFailedException">Refused (version, secret, limit) or timed out.</exception>
    internal ValueTask<IMessageConnection> ConnectAsync(EndPoint endPoint, ClientCredentials credentials, CancellationToken cancellationToken = default);
}
