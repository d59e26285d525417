using System.Net;
using DcOs.Transport.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Transport;

/// <summary>
/// Keeps one client connection up: connects, starts it with the handler, calls <c>onConnected</c> (where a client
/// registers or subscribes again), and after any close or failed attempt waits a <see cref="Backoff"/> delay (read
/// from <see cref="TimeProvider"/>) and tries again, until disposed. The backoff starts over only after a connection
/// that lasted <see cref="StableAfter"/>: a peer that accepts the handshake and then drops the connection (a refused
/// registration, a master that fails each write) is retried at a growing delay, not in a storm.
/// With several endpoints (masters), each attempt goes to the next one in turn; the delay is waited only once every
/// endpoint was tried, so a dead first master costs one failed connect, not a backoff.
/// </summary>
internal sealed class ReconnectingConnection : IAsyncDisposable
{
    private readonly IDcOsTransport _transport;
    private readonly IReadOnlyList<EndPoint> _endPoints;
    private readonly Func<ClientCredentials> _credentials;
    private readonly IMessageHandler _handler;
    private readonly Func<IMessageConnection, CancellationToken, Task> _onConnected;
    private readonly Backoff _backoff;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private volatile IMessageConnection? _current;
    private int _next;

    /// <summary>Creates the connector; call <see cref="Start"/> to begin.</summary>
    public ReconnectingConnection(
        IDcOsTransport transport,
        IReadOnlyList<EndPoint> endPoints,
        Func<ClientCredentials> credentials,
        IMessageHandler handler,
        Func<IMessageConnection, CancellationToken, Task> onConnected,
        Backoff? backoff = null,
        TimeProvider? time = null,
        ILogger? logger = null)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        ArgumentNullException.ThrowIfNull(endPoints);
        if (endPoints.Count == 0) throw new ArgumentException("at least one endpoint is needed", nameof(endPoints));
        _endPoints = [.. endPoints];
        _credentials = credentials ?? throw new ArgumentNullException(nameof(credentials));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _onConnected = onConnected ?? throw new ArgumentNullException(nameof(onConnected));
        _backoff = backoff ?? new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How long a connection must have lasted for the backoff to start over. Default 10 s.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The live connection, or null between connections.</summary>
    public IMessageConnection? Current => _current;

    /// <summary>Connections made so far (1 after the first success).</summary>
    public int ConnectionCount { get; private set; }

    /// <summary>Starts the connect loop.</summary>
    public void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token));

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            string reason;
            var refused = false;
            var endPoint = _endPoints[_next];
            try
            {
                // Credentials are asked for on each attempt: an agent switches to its own once the master issued it.
                var connection = await _transport.ConnectAsync(endPoint, _credentials(), stopping).ConfigureAwait(false);
                var connectedAt = _time.GetTimestamp();
                _current = connection;
                ConnectionCount++;
                connection.Start(_handler);
                await _onConnected(connection, stopping).ConfigureAwait(false);
                var closed = await connection.Closed.WaitAsync(stopping).ConfigureAwait(false);
                if (_time.GetElapsedTime(connectedAt) >= StableAfter) _backoff.Reset();
                reason = closed.Message;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HandshakeFailedException or IOException or System.Net.Sockets.SocketException or TimeoutException or OperationCanceledException)
            {
                reason = e.Message;
                // Refused credentials (or a server that could not prove its own) are an operator's problem: a warning.
                refused = e is HandshakeFailedException;
            }
            finally
            {
                _current = null;
            }
            _next = (_next + 1) % _endPoints.Count;
            // The next endpoint at once while some of the list is untried; the backoff once the list went round.
            var delay = _next == 0 ? _backoff.Next() : TimeSpan.Zero;
            if (refused) TransportLog.RefusedReconnecting(_logger, endPoint.ToString()!, reason, _endPoints[_next].ToString()!, (long)delay.TotalMilliseconds, _backoff.Attempt);
            else TransportLog.Reconnecting(_logger, _endPoints[_next].ToString()!, (long)delay.TotalMilliseconds, _backoff.Attempt, _endPoints.Count > 1 ? $"{endPoint}: {reason}" : reason);
            try
            {
                await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Stops reconnecting and closes the live connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        // Take the live connection before cancelling: cancellation ends the loop, which forgets it.
        var live = _current;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (live is not null) await live.CloseAsync("client stopped").ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        _stopping.Dispose();
    }
}
