namespace DcOs.Transport;

/// <summary>Why a connection closed.</summary>
/// <param name="Message">For a person: "peer closed: shutting down", "frame of 20000000 bytes exceeds the limit of 16777216", ...</param>
/// <param name="ByPeer">Whether the peer closed it (gracefully or by dropping the socket).</param>
/// <param name="IsError">Whether it closed because something went wrong (protocol violation, timeout, I/O error).</param>
internal sealed record CloseReason(string Message, bool ByPeer, bool IsError)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
