namespace DcOs.Transport.Messages;

/// <summary>The protocol version carried in the handshake.</summary>
internal static class ProtocolVersion
{
    /// <summary>The version this build speaks; a peer with another version is refused with a clear reason.</summary>
    public const int Current = 1;
}
