namespace DcOs.Simulation.Internal;

/// <summary>
/// Every delayed action of a simulated cluster (task exits, status-update resends, reconnects, registration timeouts)
/// on one <see cref="ITimer"/> of the simulator's <see cref="TimeProvider"/>: a heap ordered by due time, so 100,000
/// pending resends cost one timer, not 100,000 (a fake clock walks its timers on every advance). An action is never
/// cancelled: it checks, when it runs, whether it still applies.
/// </summary>
internal sealed class SimulationClock : IDisposable
{
    private readonly object _lock = new();
    private readonly PriorityQueue<Action, (long Due, long Order)> _queue = new();
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly Action<Exception> _failed;
    private long _order;
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    public SimulationClock(TimeProvider time, Action<Exception> failed)
    {
        _time = time;
        _failed = failed;
        _timer = time.CreateTimer(static s => ((SimulationClock)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Runs <paramref name="action"/> once <paramref name="delay"/> has passed on the clock (on the pool when it is not positive).</summary>
    public void After(TimeSpan delay, Action action)
    {
        if (delay <= TimeSpan.Zero)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static a => ((Action)a!)(), action);
            return;
        }
        lock (_lock)
        {
            if (_disposed) return;
            var due = _time.GetUtcNow().UtcTicks + delay.Ticks;
            _queue.Enqueue(action, (due, _order++));
            // A positive due time: the timer never fires inside Change, so arming under the lock cannot re-enter.
            if (due < _armedFor)
            {
                _armedFor = due;
                _timer.Change(delay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Fire()
    {
        var ready = new List<Action>();
        lock (_lock)
        {
            if (_disposed) return;
            var now = _time.GetUtcNow().UtcTicks;
            while (_queue.TryPeek(out _, out var key) && key.Due <= now) ready.Add(_queue.Dequeue());
            _armedFor = long.MaxValue;
            if (_queue.TryPeek(out _, out var next))
            {
                _armedFor = next.Due;
                _timer.Change(TimeSpan.FromTicks(next.Due - now), Timeout.InfiniteTimeSpan);
            }
        }
        foreach (var action in ready)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                _failed(e);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _queue.Clear();
        }
        _timer.Dispose();
    }
}
