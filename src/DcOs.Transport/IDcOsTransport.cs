using System.Net;

namespace DcOs.Transport;

/// <summary>Creates listeners and client connections: over TCP, or in memory for tests and simulations.</summary>
public interface IDcOsTransport
{
    /// <summary>Starts listening on <paramref name="endPoint"/> (an <see cref="IPEndPoint"/>, or an <see cref="InMemoryEndPoint"/>).</summary>
    ValueTask<IConnectionListener> ListenAsync(EndPoint endPoint, CancellationToken cancellationToken = default);

    /// <summary>Connects and completes the handshake; the connection is returned not yet started.</summary>
    /// <exception cref="HandshakeFailedException">Refused (version, secret, limit) or timed out.</exception>
    ValueTask<IMessageConnection> ConnectAsync(EndPoint endPoint, ClientCredentials credentials, CancellationToken cancellationToken = default);
}
