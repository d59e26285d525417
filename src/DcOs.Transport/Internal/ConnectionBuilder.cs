using System.IO.Pipelines;
using System.Net;
using Microsoft.Extensions.Logging;

namespace DcOs.Transport.Internal;

/// <summary>Runs the handshake on a fresh duplex pipe, within the handshake timeout, and wraps it in a <see cref="MessageConnection"/>.</summary>
internal sealed class ConnectionBuilder(TransportOptions options, TimeProvider time, ILogger logger, TransportMetrics metrics)
{
    public TransportOptions Options => options;

    public TimeProvider Time => time;

    public ILogger Logger => logger;

    public TransportMetrics Metrics => metrics;

    private readonly Dictionary<TimeSpan, ConnectionTicker> _tickers = [];

    /// <summary>The transport's ticker for connections that tick every <paramref name="period"/> (usually one for all).</summary>
    public ConnectionTicker TickerFor(TimeSpan period)
    {
        lock (_tickers)
        {
            if (!_tickers.TryGetValue(period, out var ticker)) _tickers.Add(period, ticker = new ConnectionTicker(time, period));
            return ticker;
        }
    }

    public async Task<MessageConnection> AcceptAsync(IDuplexPipe pipe, EndPoint? remote, Func<ValueTask> disposeTransport, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            var (principal, role) = await WithTimeout(Handshake.RunServerAsync(pipe, options, timeout.Token), timeout.Token).ConfigureAwait(false);
            var connection = new MessageConnection(pipe, principal, role, remote, options, time, logger, metrics, disposeTransport, tickers: TickerFor);
            TransportLog.Authenticated(logger, connection.Id, remote?.ToString(), principal, role.ToString());
            return connection;
        }
        catch (Exception e) when (e is HandshakeFailedException or OperationCanceledException or IOException)
        {
            metrics.HandshakesFailed.Add(1);
            var reason = e is OperationCanceledException ? $"handshake timed out after {options.HandshakeTimeout.TotalSeconds:0.###} s" : e.Message;
            TransportLog.HandshakeFailed(logger, remote?.ToString(), reason);
            await disposeTransport().ConfigureAwait(false);
            throw e as HandshakeFailedException ?? new HandshakeFailedException(reason, e);
        }
    }

    public async Task<MessageConnection> ConnectAsync(IDuplexPipe pipe, EndPoint remote, ClientCredentials credentials, Func<ValueTask> disposeTransport, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            var (principal, role, serverHeartbeat) = await WithTimeout(Handshake.RunClientAsync(pipe, credentials, options, timeout.Token), timeout.Token).ConfigureAwait(false);
            // Heartbeat at least as often as the server expects: its idle timeout follows its own interval, not ours.
            var heartbeat = serverHeartbeat is { } h && h < options.HeartbeatInterval ? h : options.HeartbeatInterval;
            return new MessageConnection(pipe, principal, role, remote, options, time, logger, metrics, disposeTransport, heartbeat, TickerFor);
        }
        catch (Exception e) when (e is HandshakeFailedException or OperationCanceledException or IOException)
        {
            metrics.HandshakesFailed.Add(1);
            await disposeTransport().ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            throw e as HandshakeFailedException
                ?? new HandshakeFailedException(e is OperationCanceledException ? $"handshake with {remote} timed out after {options.HandshakeTimeout.TotalSeconds:0.###} s" : e.Message, e);
        }
    }

    // CancelAfter uses the system clock; the handshake timeout is a safety net against stuck peers, not logic that
    // tests drive, so it reads real time. Everything a test observes (heartbeats, idle, slow peers) reads TimeProvider.
    private static Task<T> WithTimeout<T>(Task<T> task, CancellationToken token) => task.WaitAsync(token);
}
