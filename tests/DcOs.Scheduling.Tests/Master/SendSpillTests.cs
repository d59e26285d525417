using System.Net;
using DcOs.Core;
using DcOs.Scheduling.Master.Internal;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>The master's sends with back-pressure, against a connection whose queue the test fills and drains.</summary>
public sealed class SendSpillTests
{
    /// <summary>A connection with a send queue of <paramref name="capacity"/> that only the test drains.</summary>
    private sealed class SlowConnection(int capacity) : IMessageConnection
    {
        private readonly Queue<DcOsMessage> _queue = new();
        private readonly List<TaskCompletionSource> _waiting = [];

        public List<int> Delivered { get; } = [];

        public string Id => "slow";
        public EndPoint? RemoteEndPoint => null;
        public string Principal => "test";
        public PeerRole Role => PeerRole.Framework;
        public TimeProvider Time => TimeProvider.System;
        public Task<CloseReason> Closed => new TaskCompletionSource<CloseReason>().Task;
        public int MaxFrameSize => 16 * 1024 * 1024;

        public void Start(IMessageHandler handler) { }

        public bool TrySend(DcOsMessage message)
        {
            lock (_queue)
            {
                if (_queue.Count >= capacity) return false;
                _queue.Enqueue(message);
                return true;
            }
        }

        public async ValueTask SendAsync(DcOsMessage message, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                TaskCompletionSource room;
                lock (_queue)
                {
                    if (_queue.Count < capacity)
                    {
                        _queue.Enqueue(message);
                        return;
                    }
                    room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiting.Add(room);
                }
                await room.Task.WaitAsync(cancellationToken);
            }
        }

        /// <summary>The peer reads everything queued so far.</summary>
        public void Drain()
        {
            List<TaskCompletionSource> waiting;
            lock (_queue)
            {
                while (_queue.TryDequeue(out var m)) Delivered.Add((int)((RescindOffer)m).OfferId.Value.Length);
                waiting = [.. _waiting];
                _waiting.Clear();
            }
            foreach (var w in waiting) w.TrySetResult();
        }

        public Task<DcOsMessage> RequestAsync(DcOsMessage body, TimeSpan timeout, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public ValueTask ReplyAsync(Request request, DcOsMessage body, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task CloseAsync(string reason) => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Message number n, recognisable after delivery (its id is n characters long).</summary>
    private static RescindOffer Message(int n) => new() { OfferId = new OfferId(new string('o', n)) };

    [Fact]
    public async Task A_burst_past_the_queue_waits_and_reaches_the_peer_in_order_as_it_reads()
    {
        var connection = new SlowConnection(capacity: 4);
        var slow = 0;
        var spill = new SendSpill(_ => slow++);
        for (var n = 1; n <= 50; n++) spill.Send(connection, Message(n));
        Assert.True(spill.Waiting > 0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (connection.Delivered.Count < 50 && DateTime.UtcNow < deadline)
        {
            connection.Drain();
            await Task.Yield();
            await Task.Delay(1);
        }
        // A send after the spill drained goes straight to the connection, still in order.
        spill.Sweep();
        spill.Send(connection, Message(51));
        connection.Drain();
        Assert.Equal(Enumerable.Range(1, 51), connection.Delivered);
        Assert.Equal(0, slow);
        Assert.Equal(0, spill.Waiting);
    }

    [Fact]
    public void A_peer_that_does_not_read_is_given_up_once_its_spill_is_full()
    {
        var connection = new SlowConnection(capacity: 2);
        var slow = new List<IMessageConnection>();
        var spill = new SendSpill(slow.Add, maxSpilled: 10);
        // 2 in the queue, the pump holds one it cannot hand over, 10 wait: the next one is one too many.
        for (var n = 1; n <= 40; n++) spill.Send(connection, Message(n));
        Assert.Same(connection, Assert.Single(slow));
        Assert.Equal(0, spill.Waiting);
    }
}
