using Microsoft.Extensions.Logging;

namespace DcOs.Transport.Internal;

/// <summary>The transport's log messages (source-generated).</summary>
internal static partial class TransportLog
{
    [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} from {Remote} authenticated as {Principal} ({Role})")]
    public static partial void Authenticated(ILogger logger, string connectionId, string? remote, string principal, string role);

    [LoggerMessage(2, LogLevel.Information, "Connection {ConnectionId} ({Principal}) closed: {Reason}")]
    public static partial void Closed(ILogger logger, string connectionId, string principal, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Connection {ConnectionId} ({Principal}) closed on error: {Reason}")]
    public static partial void ClosedOnError(ILogger logger, string connectionId, string principal, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Handshake with {Remote} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string? remote, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Listening on {EndPoint} without credentials: any peer is accepted in the role it claims")]
    public static partial void OpenServer(ILogger logger, string endPoint);

    [LoggerMessage(6, LogLevel.Information, "Listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(7, LogLevel.Warning, "Refused a connection from {Remote}: {Reason}")]
    public static partial void RefusedConnection(ILogger logger, string? remote, string reason);

    [LoggerMessage(8, LogLevel.Error, "Connection {ConnectionId}: the message handler failed on {MessageType}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string connectionId, string messageType);

    [LoggerMessage(9, LogLevel.Information, "Reconnecting to {EndPoint} in {DelayMs} ms (attempt {Attempt}): {Reason}")]
    public static partial void Reconnecting(ILogger logger, string endPoint, long delayMs, int attempt, string reason);

    [LoggerMessage(10, LogLevel.Warning, "Refused by {Peer}: {Reason}; reconnecting to {EndPoint} in {DelayMs} ms (attempt {Attempt})")]
    public static partial void RefusedReconnecting(ILogger logger, string peer, string reason, string endPoint, long delayMs, int attempt);
}
