using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;
using MessagePack;
using Microsoft.Extensions.Logging;

namespace DcOs.Transport.Internal;

/// <summary>
/// The protocol layer of one connection, over any duplex pipe (socket pumps, or in-memory pipes): a receive loop that
/// parses frames and hands messages to the handler, a send loop that drains the outgoing queue into the pipe and
/// flushes once per batch, ticks (from the transport's shared <see cref="ConnectionTicker"/>) for heartbeats, idle and
/// slow-peer timeouts, and one close path.
/// </summary>
internal sealed class MessageConnection : IMessageConnection
{
    /// <summary>The send loop flushes at least this often (in bytes) even if more messages are queued.</summary>
    private const int FlushBatchBytes = 64 * 1024;

    private static long s_nextId;

    private readonly IDuplexPipe _pipe;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TransportMetrics _metrics;
    private readonly Func<ValueTask>? _disposeTransport;
    private readonly Channel<DcOsMessage> _sendQueue;
    private readonly FrameWriter _frames = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<DcOsMessage>> _pending = new();
    private readonly TaskCompletionSource<CloseReason> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IMessageHandler? _handler;
    private readonly Func<TimeSpan, ConnectionTicker>? _tickers;
    private ConnectionTicker? _ticker;
    private Task _sendLoop = Task.CompletedTask;
    private long _nextRequestId;
    private long _heartbeatSequence;
    private long _lastReceived;
    private int _inHandler;
    private long _lastSent;
    private long _flushStarted;
    private int _started;
    private int _closing;
    private CloseReason? _reason;
    private volatile bool _slowPeer;

    public MessageConnection(
        IDuplexPipe pipe,
        string principal,
        PeerRole role,
        EndPoint? remote,
        TransportOptions options,
        TimeProvider time,
        ILogger logger,
        TransportMetrics metrics,
        Func<ValueTask>? disposeTransport,
        TimeSpan? heartbeatInterval = null,
        Func<TimeSpan, ConnectionTicker>? tickers = null)
    {
        _tickers = tickers;
        _pipe = pipe;
        HeartbeatInterval = heartbeatInterval ?? options.HeartbeatInterval;
        Principal = principal;
        Role = role;
        RemoteEndPoint = remote;
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _disposeTransport = disposeTransport;
        Id = "c" + Interlocked.Increment(ref s_nextId);
        _sendQueue = Channel.CreateBounded<DcOsMessage>(new BoundedChannelOptions(options.SendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        _lastReceived = _lastSent = time.GetTimestamp();
        metrics.ConnectionsOpen.Add(1);
    }

    public string Id { get; }

    public int MaxFrameSize => _options.MaxFrameSize;

    public EndPoint? RemoteEndPoint { get; }

    public string Principal { get; }

    public PeerRole Role { get; }

    public TimeProvider Time => _time;

    /// <summary>How often this side heartbeats when it has nothing else to send (a client: at least as often as the server announced).</summary>
    internal TimeSpan HeartbeatInterval { get; }

    public Task<CloseReason> Closed => _closed.Task;

    public void Start(IMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException($"connection {Id} is already started");
        _handler = handler;
        _sendLoop = Task.Run(SendLoopAsync);
        _ = Task.Run(ReceiveLoopAsync);
        var tick = HeartbeatInterval / 2 < _options.TickInterval ? HeartbeatInterval / 2 : _options.TickInterval;
        // The transport's shared ticker for this period (a connection built on its own gets one of its own).
        _ticker = _tickers?.Invoke(tick) ?? new ConnectionTicker(_time, tick);
        _ticker.Add(this);
        // Closed while starting: the close found no ticker to leave.
        if (Volatile.Read(ref _closing) != 0) _ticker.Remove(this);
    }

    public ValueTask SendAsync(DcOsMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _sendQueue.Writer.TryWrite(message) ? ValueTask.CompletedTask : SendSlowAsync(message, cancellationToken);
    }

    private async ValueTask SendSlowAsync(DcOsMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _sendQueue.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ConnectionClosedException(_reason ?? new CloseReason("closing", false, false));
        }
    }

    public bool TrySend(DcOsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _sendQueue.Writer.TryWrite(message);
    }

    public async Task<DcOsMessage> RequestAsync(DcOsMessage body, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var id = Interlocked.Increment(ref _nextRequestId);
        var answer = new TaskCompletionSource<DcOsMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            if (Volatile.Read(ref _closing) != 0) throw new ConnectionClosedException(_reason ?? new CloseReason("closing", false, false));
            await SendAsync(new Request { Id = id, Body = body }, cancellationToken).ConfigureAwait(false);
            return await answer.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no answer to {body.GetType().Name} request {id} on connection {Id} within {timeout.TotalSeconds:0.###} s");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public ValueTask ReplyAsync(Request request, DcOsMessage body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(new Response { Id = request.Id, Body = body }, cancellationToken);
    }

    public Task CloseAsync(string reason) => CloseCoreAsync(new CloseReason(reason, ByPeer: false, IsError: false));

    public async ValueTask DisposeAsync() => await CloseAsync("disposed").ConfigureAwait(false);

    private async Task SendLoopAsync()
    {
        var reader = _sendQueue.Reader;
        var output = _pipe.Output;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var count = 0;
                long bytes = 0;
                while (bytes < FlushBatchBytes && reader.TryRead(out var message))
                {
                    bytes += _frames.Write(output, message, _options.MaxFrameSize);
                    count++;
                }
                Volatile.Write(ref _flushStarted, _time.GetTimestamp());
                var flush = output.FlushAsync();
                FlushResult result;
                if (flush.IsCompleted)
                {
                    result = flush.Result;
                }
                else
                {
                    _metrics.SendsStalled.Add(1);
                    try
                    {
                        result = await flush.ConfigureAwait(false);
                    }
                    finally
                    {
                        _metrics.SendsStalled.Add(-1);
                    }
                }
                Volatile.Write(ref _flushStarted, 0);
                Volatile.Write(ref _lastSent, _time.GetTimestamp());
                _metrics.MessagesSent.Add(count);
                _metrics.BytesSent.Add(bytes);
                if (result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (ProtocolViolationException e)
        {
            _ = CloseCoreAsync(new CloseReason("could not send: " + e.Message, ByPeer: false, IsError: true));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            _ = CloseCoreAsync(new CloseReason("connection lost while sending: " + e.Message, ByPeer: true, IsError: true));
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var input = _pipe.Input;
        CloseReason? reason = null;
        try
        {
            while (reason is null)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                // The peer is alive as soon as its bytes arrive, not once they are handled: a handler that waits (a busy
                // master's queue) must not make a peer that keeps sending look idle (a framework acknowledging a
                // 100,000-task launch was closed for "nothing received for 30 s").
                Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                var buffer = result.Buffer;
                var before = buffer.Length;
                var count = 0;
                try
                {
                    while (reason is null && FrameCodec.TryReadFrame(ref buffer, _options.MaxFrameSize, out var body))
                    {
                        var message = Decode(body);
                        count++;
                        if (message.IsApplicationMessage)
                        {
                            // Hot path: hand the message over without an extra state machine when the handler is synchronous.
                            var handled = InvokeHandler(message);
                            if (handled.IsCompletedSuccessfully)
                            {
                                reason = handled.Result;
                            }
                            else
                            {
                                // While the handler holds this loop (a busy master applies back-pressure), nothing is
                                // read: that silence is ours, not the peer's, and must not count towards its idle timeout.
                                Volatile.Write(ref _inHandler, 1);
                                try
                                {
                                    reason = await handled.ConfigureAwait(false);
                                }
                                finally
                                {
                                    Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                                    Volatile.Write(ref _inHandler, 0);
                                }
                            }
                        }
                        else
                        {
                            reason = Control(message);
                        }
                    }
                    if (reason is null && result.IsCompleted)
                    {
                        reason = buffer.IsEmpty
                            ? new CloseReason("peer closed the connection", ByPeer: true, IsError: false)
                            : new CloseReason($"truncated frame: the peer closed the connection with {buffer.Length} bytes of an unfinished frame", ByPeer: true, IsError: true);
                    }
                }
                finally
                {
                    _metrics.MessagesReceived.Add(count);
                    _metrics.BytesReceived.Add(before - buffer.Length);
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            }
        }
        catch (ProtocolViolationException e)
        {
            _metrics.FramesRejected.Add(1);
            reason = new CloseReason(e.Message, ByPeer: false, IsError: true);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            reason = new CloseReason("connection lost: " + e.Message, ByPeer: true, IsError: true);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
        if (reason is not null) await CloseCoreAsync(reason).ConfigureAwait(false);
    }

    private static DcOsMessage Decode(in ReadOnlySequence<byte> body)
    {
        try
        {
            return DcOsSerializer.Deserialize(body);
        }
        catch (MessagePackSerializationException e)
        {
            // Only now look closer, to say precisely what was wrong.
            var key = DcOsSerializer.PeekTypeKey(body)
                ?? throw new ProtocolViolationException("frame body is not a DcOs message (expected a MessagePack array [type, body])", e);
            if (!DcOsSerializer.IsKnownType(key)) throw new ProtocolViolationException($"unknown message type {key}", e);
            throw new ProtocolViolationException($"malformed {DcOsSerializer.TypeName(key)} message: " + e.GetBaseException().Message, e);
        }
    }

    /// <summary>Handles a protocol-level message; returns a close reason when the connection must end.</summary>
    private CloseReason? Control(DcOsMessage message)
    {
        switch (message)
        {
            case Heartbeat:
                return null;
            case Goodbye bye:
                return new CloseReason("peer closed: " + bye.Reason, ByPeer: true, IsError: false);
            case Refused refused:
                return new CloseReason("peer refused: " + refused.Reason, ByPeer: true, IsError: true);
            case Response response:
                if (_pending.TryRemove(response.Id, out var waiter))
                    waiter.TrySetResult(response.Body ?? new ErrorMessage { Code = ErrorCode.EmptyResponse, Message = "the response has no body" });
                return null;
            default:
                _metrics.FramesRejected.Add(1);
                return new CloseReason($"unexpected {message.GetType().Name} after the handshake", ByPeer: false, IsError: true);
        }
    }

    private ValueTask<CloseReason?> InvokeHandler(DcOsMessage message)
    {
        try
        {
            var pending = _handler!.OnMessageAsync(new MessageContext(this, message));
            return pending.IsCompletedSuccessfully ? default : AwaitHandler(pending, message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ValueTask.FromResult<CloseReason?>(HandlerFailed(e, message));
        }
    }

    private async ValueTask<CloseReason?> AwaitHandler(ValueTask pending, DcOsMessage message)
    {
        try
        {
            await pending.ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return HandlerFailed(e, message);
        }
    }

    private CloseReason HandlerFailed(Exception e, DcOsMessage message)
    {
        TransportLog.HandlerFailed(_logger, e, Id, message.GetType().Name);
        return new CloseReason($"the handler failed on {message.GetType().Name}: {e.Message}", ByPeer: false, IsError: true);
    }

    /// <summary>Heartbeat and timeouts, called by the ticker every period.</summary>
    internal void OnTick()
    {
        if (Volatile.Read(ref _closing) != 0) return;
        var now = _time.GetTimestamp();
        if (Volatile.Read(ref _inHandler) == 0 && _time.GetElapsedTime(Volatile.Read(ref _lastReceived), now) >= _options.IdleTimeout)
        {
            _ = CloseCoreAsync(new CloseReason($"idle timeout: nothing received for {_options.IdleTimeout.TotalSeconds:0.###} s", ByPeer: false, IsError: true));
            return;
        }
        var flushStarted = Volatile.Read(ref _flushStarted);
        if (flushStarted != 0 && _time.GetElapsedTime(flushStarted, now) >= _options.SlowPeerTimeout)
        {
            _slowPeer = true;
            _ = CloseCoreAsync(new CloseReason(
                $"peer is not reading: no progress writing for {_options.SlowPeerTimeout.TotalSeconds:0.###} s with {_sendQueue.Reader.Count} messages queued",
                ByPeer: false, IsError: true));
            return;
        }
        if (_time.GetElapsedTime(Volatile.Read(ref _lastSent), now) >= HeartbeatInterval)
        {
            _sendQueue.Writer.TryWrite(new Heartbeat { Sequence = Interlocked.Increment(ref _heartbeatSequence) });
        }
    }

    private async Task CloseCoreAsync(CloseReason reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }
        _reason = reason;
        _ticker?.Remove(this);
        if (!reason.ByPeer) _sendQueue.Writer.TryWrite(new Goodbye { Reason = reason.Message });
        _sendQueue.Writer.TryComplete();
        if (Volatile.Read(ref _started) != 0)
        {
            // A peer that does not read would hold the send loop in FlushAsync forever: cancel the flush at once in that
            // case (a pipe's cancellation also applies to the next flush, so this cannot miss a loop that is between
            // flushes); otherwise give queued messages the close timeout to be written. That timeout guards against
            // stuck sockets and reads real time, like the handshake's, so a fake clock in a test cannot stall a close.
            if (reason.IsError && !reason.ByPeer && (Volatile.Read(ref _flushStarted) != 0 || _slowPeer)) _pipe.Output.CancelPendingFlush();
            try
            {
                await _sendLoop.WaitAsync(_options.CloseTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _pipe.Output.CancelPendingFlush();
                await _sendLoop.ConfigureAwait(false);
            }
        }
        try
        {
            await _pipe.Output.CompleteAsync().ConfigureAwait(false);
            _pipe.Input.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // Already completed by a loop that ended first.
        }
        foreach (var waiter in _pending.Values) waiter.TrySetException(new ConnectionClosedException(reason));
        _metrics.ConnectionsOpen.Add(-1);
        if (reason.IsError) TransportLog.ClosedOnError(_logger, Id, Principal, reason.Message);
        else TransportLog.Closed(_logger, Id, Principal, reason.Message);
        if (_disposeTransport is not null) await _disposeTransport().ConfigureAwait(false);
        _closed.TrySetResult(reason);
        try
        {
            _handler?.OnClosed(this, reason);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            TransportLog.HandlerFailed(_logger, e, Id, "close");
        }
    }

    public override string ToString() => $"{Id} {Principal} ({Role}) {RemoteEndPoint}";
}
