using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using DcOs.Transport.Internal;
using DcOs.Transport.Messages;

namespace DcOs.Transport.Tcp;

/// <summary>
/// Accepts sockets, refuses those beyond <see cref="TransportOptions.MaxConnections"/> with a reason, runs TLS and the
/// handshake concurrently (a slow client does not hold up others), and queues authenticated connections.
/// </summary>
internal sealed class TcpConnectionListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly ConnectionBuilder _builder;
    private readonly Channel<IMessageConnection> _ready = Channel.CreateUnbounded<IMessageConnection>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private int _open;

    public TcpConnectionListener(IPEndPoint endPoint, ConnectionBuilder builder)
    {
        _builder = builder;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _socket.Bind(endPoint);
            _socket.Listen(builder.Options.ListenBacklog);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = _socket.LocalEndPoint!;
        TransportLog.Listening(builder.Logger, LocalEndPoint.ToString()!);
        if (!builder.Options.RequiresAuthentication) TransportLog.OpenServer(builder.Logger, LocalEndPoint.ToString()!);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public EndPoint LocalEndPoint { get; }

    public int OpenConnections => Volatile.Read(ref _open);

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

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }
            client.NoDelay = true;
            _ = Task.Run(() => SetUpAsync(client));
        }
        _ready.Writer.TryComplete();
    }

    private async Task SetUpAsync(Socket client)
    {
        var remote = client.RemoteEndPoint;
        if (Interlocked.Increment(ref _open) > _builder.Options.MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            var reason = $"connection limit of {_builder.Options.MaxConnections} reached";
            TransportLog.RefusedConnection(_builder.Logger, remote?.ToString(), reason);
            await RefuseRawAsync(client, reason).ConfigureAwait(false);
            return;
        }
        var socketStream = new NetworkStream(client, ownsSocket: true);
        Stream stream = socketStream;
        try
        {
            if (_builder.Options.ServerTls is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var timeout = new CancellationTokenSource(_builder.Options.HandshakeTimeout);
                await ssl.AuthenticateAsServerAsync(tls, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            Interlocked.Decrement(ref _open);
            TransportLog.HandshakeFailed(_builder.Logger, remote?.ToString(), "TLS failed: " + e.Message);
            _builder.Metrics.HandshakesFailed.Add(1);
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }
        var pipe = new StreamPipe(stream, socketStream, _builder.Options);
        var released = 0;
        async ValueTask Release()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) Interlocked.Decrement(ref _open);
            await pipe.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            var connection = await _builder.AcceptAsync(pipe, remote, Release, _stopping.Token).ConfigureAwait(false);
            if (!_ready.Writer.TryWrite(connection)) await connection.CloseAsync("listener stopped").ConfigureAwait(false);
        }
        catch (Exception e) when (e is HandshakeFailedException or OperationCanceledException)
        {
            // Logged and released by the builder.
        }
    }

    private static async Task RefuseRawAsync(Socket client, string reason)
    {
        try
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            FrameCodec.WriteFrame(buffer, new Refused { Reason = reason }, new ArrayBufferWriter<byte>(256), int.MaxValue);
            await client.SendAsync(buffer.WrittenMemory).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The client is gone already.
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        while (_ready.Reader.TryRead(out var pending)) await pending.CloseAsync("listener stopped").ConfigureAwait(false);
        _stopping.Dispose();
    }
}
