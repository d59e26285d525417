namespace DcOs.Transport.Internal;

/// <summary>The peer broke the protocol (bad frame, bad body, unknown type); the connection ends with this message.</summary>
internal sealed class ProtocolViolationException(string message, Exception? inner = null) : Exception(message, inner);
