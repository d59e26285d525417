using System.Buffers;

namespace DcOs.Transport.Internal;

/// <summary>
/// One timer for the heartbeats and timeouts of every connection of a transport that ticks at the same period,
/// instead of one timer per connection: at 10,000 agents the per-connection timers put 2,000 callbacks a second on the
/// thread pool, each to compare three timestamps. A tick walks a snapshot of the connections; the timer exists only
/// while some connection is registered.
/// </summary>
internal sealed class ConnectionTicker(TimeProvider time, TimeSpan period)
{
    private readonly object _lock = new();
    private readonly HashSet<MessageConnection> _connections = [];
    private ITimer? _timer;

    public void Add(MessageConnection connection)
    {
        lock (_lock)
        {
            _connections.Add(connection);
            _timer ??= time.CreateTimer(static s => ((ConnectionTicker)s!).Tick(), this, period, period);
        }
    }

    public void Remove(MessageConnection connection)
    {
        ITimer? stopped = null;
        lock (_lock)
        {
            if (!_connections.Remove(connection) || _connections.Count > 0) return;
            stopped = _timer;
            _timer = null;
        }
        stopped?.Dispose();
    }

    private void Tick()
    {
        MessageConnection[] snapshot;
        int count;
        lock (_lock)
        {
            count = _connections.Count;
            snapshot = ArrayPool<MessageConnection>.Shared.Rent(count);
            _connections.CopyTo(snapshot);
        }
        try
        {
            // Outside the lock: a tick may close a connection, which removes it.
            for (var i = 0; i < count; i++) snapshot[i].OnTick();
        }
        finally
        {
            ArrayPool<MessageConnection>.Shared.Return(snapshot, clearArray: true);
        }
    }
}
