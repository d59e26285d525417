using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using DcOs.Transport.Messages;

namespace DcOs.Transport.Tests;

/// <summary>Collects what a connection receives, so a test can await messages with a timeout.</summary>
internal sealed class RecordingHandler : IMessageHandler
{
    private readonly Channel<DcOsMessage> _messages = Channel.CreateUnbounded<DcOsMessage>();
    private readonly TaskCompletionSource<CloseReason> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Func<IMessageConnection, DcOsMessage, ValueTask>? OnMessage { get; init; }

    public Task<CloseReason> ClosedReason => _closed.Task;

    public async ValueTask OnMessageAsync(MessageContext context)
    {
        if (OnMessage is not null) await OnMessage(context.Connection, context.Message);
        _messages.Writer.TryWrite(context.Message);
    }

    public void OnClosed(IMessageConnection connection, CloseReason reason) => _closed.TrySetResult(reason);

    public async Task<T> NextAsync<T>(TimeSpan? timeout = null) where T : DcOsMessage
    {
        using var cts = new CancellationTokenSource(timeout ?? TestTimeouts.Default);
        var message = await _messages.Reader.ReadAsync(cts.Token);
        return Assert.IsType<T>(message);
    }

    public bool TryNext(out DcOsMessage? message) => _messages.Reader.TryRead(out message);
}

internal static class TestTimeouts
{
    /// <summary>Generous: these waits end as soon as the event happens; the timeout only bounds a broken test.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Default);

    public static Task Within(this Task task) => task.WaitAsync(Default);
}

/// <summary>A listener plus a background loop that starts each accepted connection with a handler it records.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly IConnectionListener _listener;
    private readonly Task _accepting;
    private readonly CancellationTokenSource _stop = new();

    public TestServer(IConnectionListener listener, Func<RecordingHandler>? handlers = null)
    {
        _listener = listener;
        _accepting = Task.Run(async () =>
        {
            while (await _listener.AcceptAsync(_stop.Token) is { } connection)
            {
                var handler = handlers?.Invoke() ?? new RecordingHandler();
                Handlers[connection] = handler;
                connection.Start(handler);
                Accepted.Writer.TryWrite((connection, handler));
            }
        });
    }

    public EndPoint EndPoint => _listener.LocalEndPoint;

    public IConnectionListener Listener => _listener;

    public ConcurrentDictionary<IMessageConnection, RecordingHandler> Handlers { get; } = new();

    public Channel<(IMessageConnection Connection, RecordingHandler Handler)> Accepted { get; } = Channel.CreateUnbounded<(IMessageConnection, RecordingHandler)>();

    public async Task<(IMessageConnection Connection, RecordingHandler Handler)> NextConnectionAsync()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Default);
        return await Accepted.Reader.ReadAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var c in Handlers.Keys) await c.CloseAsync("test over");
        await _listener.DisposeAsync();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
