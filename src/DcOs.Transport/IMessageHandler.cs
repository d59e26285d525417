using DcOs.Transport.Messages;

namespace DcOs.Transport;

/// <summary>Receives a connection's messages, in order, one at a time, on the connection's receive loop.</summary>
internal interface IMessageHandler
{
    /// <summary>
    /// Handles one message (a <see cref="Request"/> is answered with <see cref="IMessageConnection.ReplyAsync"/>).
    /// Keep it short: the next message is read when this completes. An exception closes the connection.
    /// </summary>
    ValueTask OnMessageAsync(IMessageConnection connection, DcOsMessage message);

    /// <summary>Called once when the connection has closed.</summary>
    void OnClosed(IMessageConnection connection, CloseReason reason);
}
