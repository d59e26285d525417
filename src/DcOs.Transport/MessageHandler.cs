namespace DcOs.Transport;

/// <summary>Builds an <see cref="IMessageHandler"/> from delegates.</summary>
internal static class MessageHandler
{
    /// <summary>A handler calling <paramref name="onMessage"/> and, on close, <paramref name="onClosed"/>.</summary>
    public static IMessageHandler Create(
        Func<MessageContext, ValueTask> onMessage,
        Action<IMessageConnection, CloseReason>? onClosed = null) => new DelegateHandler(onMessage, onClosed);

    private sealed class DelegateHandler(
        Func<MessageContext, ValueTask> onMessage,
        Action<IMessageConnection, CloseReason>? onClosed) : IMessageHandler
    {
        public ValueTask OnMessageAsync(MessageContext context) => onMessage(context);

        public void OnClosed(IMessageConnection connection, CloseReason reason) => onClosed?.Invoke(connection, reason);
    }
}
