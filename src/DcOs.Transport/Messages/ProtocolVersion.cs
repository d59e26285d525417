namespace DcOs.Transport.Messages;

/// <summary>The protocol version carried in the handshake.</summary>
internal static class ProtocolVersion
{
    /// <summary>
    /// The version this build speaks; a peer with another version is refused with a clear reason. 2: error codes and
    /// the placement objective as numbers, exit code and signal in status updates.
    /// </summary>
    public const int Current = 2;
}
