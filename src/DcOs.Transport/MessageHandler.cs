using DcOs.Transport.Messages;

namespace DcOs.Transport;

/// <summary>Builds an <see cref="IMessageHandler"/> from delegates.</summary>
internal static class MessageHandler
{
    /// <summary>A handler calling <paramref name="onMessage"/> and, on close, <paramref name="onClosed"/>.</summary>
    public static IMessageHandler Create(
        Func<IMessageConnection, DcOsMessage, ValueTask> onMessage,
        Action<IMessageConnection, CloseReason>? onClosed = null) => new DelegateHandler(onMessage, onClosed);

    private sealed class DelegateHandler(
        Func<IMessageConnection, DcOsMessage, ValueTask> onMessage,
        Action<IMessageConnection, CloseReason>? onClosed) : IMessageHandler
    {
        public ValueTask OnMessageAsync(IMessageConnection connection, DcOsMessage message) => onMessage(connection, message);

        public void OnClosed(IMessageConnection connection, CloseReason reason) => onClosed?.Invoke(connection, reason);
    }
}
