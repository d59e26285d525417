using System.Net;

namespace DcOs.Transport;

/// <summary>A server endpoint: hands out connections whose handshake (version, authentication, TLS) succeeded.</summary>
internal interface IConnectionListener : IAsyncDisposable
{
    /// <summary>Where it listens (with the OS-assigned port when bound to port 0).</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>Connections currently open from this listener.</summary>
    int OpenConnections { get; }

    /// <summary>The next authenticated connection, not yet started; null once the listener is disposed.</summary>
    ValueTask<IMessageConnection?> AcceptAsync(CancellationToken cancellationToken = default);
}
