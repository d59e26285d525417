using System.Threading.Channels;
using DcOs.Core;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The master's event watchers. Published from the master's loop, which never blocks on a watcher: each has a bounded
/// channel, and one that is full is completed with an error and forgotten. A step's events are held until its store
/// writes succeed (<see cref="Flush"/>): a watcher never sees a change the store does not have. Watching and disposing are safe from any
/// thread (the list is replaced atomically).
/// </summary>
internal sealed class MasterEvents(TimeProvider time)
{
    private readonly List<MasterEvent> _held = [];
    private Watcher[] _watchers = [];

    public IMasterWatch Watch(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        var watcher = new Watcher(this, Channel.CreateBounded<MasterEvent>(new BoundedChannelOptions(capacity) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait }));
        Update(list => [.. list, watcher]);
        return watcher;
    }

    /// <summary>Adds an event to the current step's, delivered by <see cref="Flush"/>.</summary>
    public void Publish(MasterEventKind kind, AgentId agentId = default, FrameworkId frameworkId = default, TaskStatusUpdate? status = null, string? detail = null)
    {
        if (Volatile.Read(ref _watchers).Length == 0) return;
        _held.Add(new MasterEvent(kind, time.GetUtcNow(), agentId, frameworkId, status, detail));
    }

    /// <summary>Delivers the step's events (its store writes succeeded).</summary>
    public void Flush()
    {
        if (_held.Count == 0) return;
        var watchers = Volatile.Read(ref _watchers);
        foreach (var e in _held)
        {
            foreach (var watcher in watchers)
            {
                if (watcher.Channel.Writer.TryWrite(e)) continue;
                watcher.Channel.Writer.TryComplete(new InvalidOperationException($"the watcher fell more than its capacity behind the master's events and was dropped; watch again"));
                Remove(watcher);
            }
        }
        _held.Clear();
    }

    /// <summary>Drops the step's events (its store writes failed).</summary>
    public void Discard() => _held.Clear();

    /// <summary>Ends every watch (the master is stopping).</summary>
    public void CompleteAll()
    {
        foreach (var watcher in Interlocked.Exchange(ref _watchers, [])) watcher.Channel.Writer.TryComplete();
    }

    private void Remove(Watcher watcher) => Update(list => [.. list.Where(w => !ReferenceEquals(w, watcher))]);

    private void Update(Func<Watcher[], Watcher[]> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _watchers);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _watchers, change(current), current), current)) return;
        }
    }

    private sealed class Watcher(MasterEvents owner, Channel<MasterEvent> channel) : IMasterWatch
    {
        public Channel<MasterEvent> Channel { get; } = channel;

        public ChannelReader<MasterEvent> Events => Channel.Reader;

        public void Dispose()
        {
            owner.Remove(this);
            Channel.Writer.TryComplete();
        }
    }
}
