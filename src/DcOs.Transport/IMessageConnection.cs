using System.Net;
using DcOs.Transport.Messages;

namespace DcOs.Transport;

/// <summary>
/// One authenticated connection carrying <see cref="DcOsMessage"/>s both ways. Sending never blocks the caller's
/// thread: messages are queued and written in batches by the connection's send loop. Received messages go to the
/// <see cref="IMessageHandler"/> given to <see cref="Start"/>, in order, one at a time.
/// </summary>
internal interface IMessageConnection : IAsyncDisposable
{
    /// <summary>A short id for logs.</summary>
    string Id { get; }

    /// <summary>The peer's address (TCP) or name (in-memory).</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>The authenticated principal of the peer.</summary>
    string Principal { get; }

    /// <summary>The authenticated role of the peer.</summary>
    PeerRole Role { get; }

    /// <summary>The clock the connection's heartbeats and timeouts read (a request's answer is awaited on it too).</summary>
    TimeProvider Time { get; }

    /// <summary>Completes, never faulted, with the reason once the connection has closed.</summary>
    Task<CloseReason> Closed { get; }

    /// <summary>The largest frame this connection writes or reads (<see cref="TransportOptions.MaxFrameSize"/>): a sender of big fan-outs splits them below it.</summary>
    int MaxFrameSize { get; }

    /// <summary>Starts the receive, send and heartbeat loops; call once, before or after queuing first messages.</summary>
    void Start(IMessageHandler handler);

    /// <summary>Queues a one-way message; waits while the outgoing queue is full.</summary>
    /// <exception cref="ConnectionClosedException">The connection is closed.</exception>
    ValueTask SendAsync(DcOsMessage message, CancellationToken cancellationToken = default);

    /// <summary>Queues a one-way message if there is room; false when the queue is full or the connection closed.</summary>
    bool TrySend(DcOsMessage message);

    /// <summary>Sends <paramref name="body"/> as a <see cref="Request"/> and waits for the matching <see cref="Response"/>'s body.</summary>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>.</exception>
    /// <exception cref="ConnectionClosedException">The connection closed first.</exception>
    Task<DcOsMessage> RequestAsync(DcOsMessage body, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Answers <paramref name="request"/> with <paramref name="body"/>.</summary>
    ValueTask ReplyAsync(Request request, DcOsMessage body, CancellationToken cancellationToken = default);

    /// <summary>Closes gracefully: says <paramref name="reason"/> to the peer, writes what is queued (within the close timeout), then closes.</summary>
    Task CloseAsync(string reason);
}
