namespace DcOs.Transport;

/// <summary>Receives a connection's messages, in order, one at a time, on the connection's receive loop.</summary>
internal interface IMessageHandler
{
    /// <summary>
    /// Handles one message (answered with <see cref="MessageContext.ReplyAsync"/>). Keep it short: the next message
    /// is read when this completes. An exception closes the connection.
    /// </summary>
    ValueTask OnMessageAsync(MessageContext context);

    /// <summary>Called once when the connection has closed.</summary>
    void OnClosed(IMessageConnection connection, CloseReason reason);
}
