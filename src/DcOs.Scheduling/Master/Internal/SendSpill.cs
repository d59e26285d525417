using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The master loop's sends with back-pressure. A send goes straight into the connection's queue while there is room;
/// when the queue is full (a reconciliation of 100,000 tasks is 100,000 updates, the queue holds 16,384), the message
/// and every later one to that peer wait in a spill, in order, that a pump off the loop feeds into the connection as
/// it drains, so the loop never waits and the peer is not dropped for a burst. A peer that lets more than
/// <c>maxSpilled</c> (a million) messages pile up is not reading: it is closed, as before. Used only from the master loop;
/// the pump shares only its spill's queue, under that spill's lock.
/// </summary>
internal sealed class SendSpill(Action<IMessageConnection> onSlowPeer, int maxSpilled = SendSpill.DefaultMaxSpilled)
{
    /// <summary>Messages one peer may have waiting beyond its connection's queue before it counts as not reading.</summary>
    public const int DefaultMaxSpilled = 1_000_000;

    private readonly Dictionary<IMessageConnection, Spill> _spills = [];
    private readonly HashSet<IMessageConnection> _givenUp = [];

    /// <summary>Messages waiting in spills (all peers), for metrics.</summary>
    public int Waiting
    {
        get
        {
            var total = 0;
            foreach (var spill in _spills.Values) total += spill.Count;
            return total;
        }
    }

    public void Send(IMessageConnection connection, DcOsMessage message)
    {
        // Given up on: it is closing, and nothing more goes to it.
        if (_givenUp.Contains(connection)) return;
        if (_spills.TryGetValue(connection, out var spill))
        {
            if (spill.TryAdd(message, out var overflow)) return;
            _spills.Remove(connection);
            if (overflow)
            {
                _givenUp.Add(connection);
                onSlowPeer(connection);
                return;
            }
        }
        if (connection.TrySend(message)) return;
        // A closed connection takes nothing (the master learns of the close on its loop soon): no spill for it.
        if (connection.Closed.IsCompleted) return;
        spill = new Spill(connection, maxSpilled);
        _spills[connection] = spill;
        spill.TryAdd(message, out _);
        spill.Start();
    }

    /// <summary>Forgets spills whose pump has finished (drained, or the connection closed), and peers given up on once closed.</summary>
    public void Sweep()
    {
        _givenUp.RemoveWhere(c => c.Closed.IsCompleted);
        List<IMessageConnection>? done = null;
        foreach (var (connection, spill) in _spills)
        {
            if (spill.Finished) (done ??= []).Add(connection);
        }
        if (done is null) return;
        foreach (var connection in done) _spills.Remove(connection);
    }

    private sealed class Spill(IMessageConnection connection, int maxSpilled)
    {
        private readonly Queue<DcOsMessage> _queue = new();
        private bool _finished;

        public int Count
        {
            get
            {
                lock (_queue) return _queue.Count;
            }
        }

        public bool Finished
        {
            get
            {
                lock (_queue) return _finished;
            }
        }

        /// <summary>Queues behind what waits; false when the pump has finished (send directly again) or, with <paramref name="overflow"/>, the peer is not reading.</summary>
        public bool TryAdd(DcOsMessage message, out bool overflow)
        {
            lock (_queue)
            {
                overflow = false;
                if (_finished) return false;
                if (_queue.Count >= maxSpilled)
                {
                    overflow = true;
                    _finished = true;
                    _queue.Clear();
                    return false;
                }
                _queue.Enqueue(message);
                return true;
            }
        }

        public void Start() => _ = Task.Run(PumpAsync);

        private async Task PumpAsync()
        {
            while (true)
            {
                DcOsMessage next;
                lock (_queue)
                {
                    if (_finished || _queue.Count == 0)
                    {
                        _finished = true;
                        return;
                    }
                    next = _queue.Dequeue();
                }
                try
                {
                    // Waits while the connection's queue is full: this is the back-pressure.
                    await connection.SendAsync(next).ConfigureAwait(false);
                }
                catch (ConnectionClosedException)
                {
                    lock (_queue)
                    {
                        _finished = true;
                        _queue.Clear();
                    }
                    return;
                }
            }
        }
    }
}
