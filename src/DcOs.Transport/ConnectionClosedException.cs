namespace DcOs.Transport;

/// <summary>The connection closed before the operation could complete; <see cref="Reason"/> says why.</summary>
internal sealed class ConnectionClosedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionClosedException(CloseReason reason)
        : base("connection closed: " + reason.Message) => Reason = reason;

    /// <summary>Why the connection closed.</summary>
    public CloseReason Reason { get; }
}
