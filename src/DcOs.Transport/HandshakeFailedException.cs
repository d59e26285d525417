namespace DcOs.Transport;

/// <summary>The connection could not be established: refused by the server (bad secret, version, limit) or timed out.</summary>
internal sealed class HandshakeFailedException : IOException
{
    /// <summary>Creates the exception with the reason given by the server or found locally.</summary>
    public HandshakeFailedException(string reason, Exception? inner = null)
        : base(reason, inner) => Reason = reason;

    /// <summary>Why, for a person.</summary>
    public string Reason { get; }
}
