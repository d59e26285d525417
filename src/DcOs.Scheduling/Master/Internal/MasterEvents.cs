using System.Threading.Channels;
using DcOs.Core;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The master's event watchers. Published from the master's loop, which never blocks on a watcher: each has a bounded
/// channel, and one that is full is completed with an error and forgotten. Watching and disposing are safe from any
/// thread (the list is replaced atomically).
/// </summary>
internal sealed class MasterEvents(TimeProvider time)
{
    private Watcher[] _watchers = [];

    /// <summary>Whether anyone watches: callers skip building events nobody reads.</summary>
    public bool Watched => Volatile.Read(ref _watchers).Length > 0;

    public IMasterWatch Watch(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        var watcher = new Watcher(this, Channel.CreateBounded<MasterEvent>(new BoundedChannelOptions(capacity) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait }));
        Update(list => [.. list, watcher]);
        return watcher;
    }

    public void Publish(MasterEventKind kind, AgentId agentId = default, FrameworkId frameworkId = default, TaskStatusUpdate? status = null, string? detail = null)
    {
        var watchers = Volatile.Read(ref _watchers);
        if (watchers.Length == 0) return;
        var e = new MasterEvent(kind, time.GetUtcNow(), agentId, frameworkId, status, detail);
        foreach (var watcher in watchers)
        {
            if (watcher.Channel.Writer.TryWrite(e)) continue;
            watcher.Channel.Writer.TryComplete(new InvalidOperationException($"the watcher fell more than its capacity behind the master's events and was dropped; watch again"));
            Remove(watcher);
        }
    }

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
