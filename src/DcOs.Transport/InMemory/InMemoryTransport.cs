using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using DcOs.Transport.Internal;

namespace DcOs.Transport.InMemory;

/// <summary>
/// Connections over pairs of in-process pipes, with the same framing, handshake and loops as TCP: a test or a
/// simulation can run a master with thousands of agents in one process, and bugs in serialization still show.
/// Listeners are named (<see cref="InMemoryEndPoint"/>) and live as long as this transport.
/// </summary>
internal sealed class InMemoryTransport(ConnectionBuilder builder) : IDcOsTransport
{
    private readonly ConcurrentDictionary<string, InMemoryListener> _listeners = new(StringComparer.Ordinal);

    public ValueTask<IConnectionListener> ListenAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        if (endPoint is not InMemoryEndPoint named) throw new ArgumentException($"the in-memory transport listens on an InMemoryEndPoint, not {endPoint?.GetType().Name}", nameof(endPoint));
        var listener = new InMemoryListener(named, builder, () => _listeners.TryRemove(named.Name, out _));
        if (!_listeners.TryAdd(named.Name, listener)) throw new InvalidOperationException($"an in-memory listener named '{named.Name}' already exists");
        return ValueTask.FromResult<IConnectionListener>(listener);
    }

    public async ValueTask<IMessageConnection> ConnectAsync(EndPoint endPoint, ClientCredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (endPoint is not InMemoryEndPoint named || !_listeners.TryGetValue(named.Name, out var listener))
            throw new HandshakeFailedException($"nothing listens on {endPoint}");
        var options = new PipeOptions(
            pauseWriterThreshold: builder.Options.InputPauseThreshold,
            resumeWriterThreshold: builder.Options.InputPauseThreshold / 2,
            useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        var clientSide = new DuplexPipe(toClient.Reader, toServer.Writer);
        var serverSide = new DuplexPipe(toServer.Reader, toClient.Writer);
        listener.Offer(serverSide, new InMemoryEndPoint(credentials.Principal));
        return await builder.ConnectAsync(clientSide, endPoint, credentials, clientSide.CompleteAsync, cancellationToken).ConfigureAwait(false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;

        public async ValueTask CompleteAsync()
        {
            await Output.CompleteAsync().ConfigureAwait(false);
            await Input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private sealed class InMemoryListener(InMemoryEndPoint endPoint, ConnectionBuilder builder, Action onDispose) : IConnectionListener
    {
        private readonly Channel<IMessageConnection> _ready = Channel.CreateUnbounded<IMessageConnection>();
        private readonly CancellationTokenSource _stopping = new();
        private int _open;

        public EndPoint LocalEndPoint => endPoint;

        public int OpenConnections => Volatile.Read(ref _open);

        public void Offer(DuplexPipe pipe, EndPoint remote) => _ = Task.Run(() => SetUpAsync(pipe, remote));

        private async Task SetUpAsync(DuplexPipe pipe, EndPoint remote)
        {
            if (Interlocked.Increment(ref _open) > builder.Options.MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                var reason = $"connection limit of {builder.Options.MaxConnections} reached";
                TransportLog.RefusedConnection(builder.Logger, remote.ToString(), reason);
                await Handshake.RefuseAsync(pipe, new System.Buffers.ArrayBufferWriter<byte>(256), builder.Options, reason).ConfigureAwait(false);
                await pipe.CompleteAsync().ConfigureAwait(false);
                return;
            }
            var released = 0;
            async ValueTask Release()
            {
                if (Interlocked.Exchange(ref released, 1) == 0) Interlocked.Decrement(ref _open);
                await pipe.CompleteAsync().ConfigureAwait(false);
            }
            try
            {
                var connection = await builder.AcceptAsync(pipe, remote, Release, _stopping.Token).ConfigureAwait(false);
                if (!_ready.Writer.TryWrite(connection)) await connection.CloseAsync("listener stopped").ConfigureAwait(false);
            }
            catch (Exception e) when (e is HandshakeFailedException or OperationCanceledException)
            {
                // Logged and released by the builder.
            }
        }

        public async ValueTask<IMessageConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_stopping.IsCancellationRequested) return;
            onDispose();
            await _stopping.CancelAsync().ConfigureAwait(false);
            _ready.Writer.TryComplete();
            while (_ready.Reader.TryRead(out var pending)) await pending.CloseAsync("listener stopped").ConfigureAwait(false);
        }
    }
}
