using System.Collections.Concurrent;
using System.Net;
using DcOs.Transport;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>A transport that hands the test every connection its listeners accept, so the test can drop one from the server side.</summary>
internal sealed class CapturingTransport(IDcOsTransport inner) : IDcOsTransport
{
    public ConcurrentQueue<IMessageConnection> Accepted { get; } = new();

    /// <summary>The server side of the latest accepted connection of <paramref name="principal"/>.</summary>
    public IMessageConnection Of(string principal) => Accepted.Last(c => c.Principal == principal);

    public async ValueTask<IConnectionListener> ListenAsync(EndPoint endPoint, CancellationToken cancellationToken = default) =>
        new Listener(await inner.ListenAsync(endPoint, cancellationToken), this);

    public ValueTask<IMessageConnection> ConnectAsync(EndPoint endPoint, ClientCredentials credentials, CancellationToken cancellationToken = default) =>
        inner.ConnectAsync(endPoint, credentials, cancellationToken);

    private sealed class Listener(IConnectionListener inner, CapturingTransport owner) : IConnectionListener
    {
        public EndPoint LocalEndPoint => inner.LocalEndPoint;

        public int OpenConnections => inner.OpenConnections;

        public async ValueTask<IMessageConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            var connection = await inner.AcceptAsync(cancellationToken);
            if (connection is not null) owner.Accepted.Enqueue(connection);
            return connection;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
