using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Internal.Updates;

/// <summary>
/// Delivers status updates reliably and in order, as Mesos' status update manager: each task has a stream; an update
/// is logged (fsync'd, see <see cref="UpdateLog"/>) before it may be sent; only the oldest unacknowledged update of a
/// stream is in flight, resent with backoff until the framework's acknowledgement comes back through the master; then
/// the next one goes. Streams survive restarts through the log.
/// </summary>
internal sealed class StatusUpdateManager : IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<(FrameworkId, TaskId), UpdateStream> _streams = [];
    private readonly TimeProvider _time;
    private readonly TimeSpan _retryInitial;
    private readonly TimeSpan _retryMax;
    private UpdateLog? _log;
    private IMessageConnection? _connection;
    private TaskCompletionSource? _idle;
    private int _pending;
    private bool _disposed;

    public StatusUpdateManager(TimeProvider time, TimeSpan retryInitial, TimeSpan retryMax)
    {
        _time = time;
        _retryInitial = retryInitial;
        _retryMax = retryMax;
    }

    /// <summary>Called (outside the lock) when a stream's terminal update has been acknowledged and nothing is pending.</summary>
    public Action<FrameworkId, TaskId>? Drained { get; set; }

    /// <summary>Rebuilds the streams from the log's records (before <see cref="AttachLog"/>); the records are durable already.</summary>
    public void Restore(IEnumerable<DcOsMessage> records)
    {
        lock (_lock)
        {
            foreach (var record in records)
            {
                switch (record)
                {
                    case StatusUpdate { Status: { } status } update when !update.FrameworkId.IsEmpty && !status.TaskId.IsEmpty:
                        var stream = GetStream(update.FrameworkId, status.TaskId);
                        if (stream.Seen.Add(status.UpdateId))
                        {
                            _pending++;
                            stream.Pending.Enqueue(new Entry(stream, update) { Durable = true });
                            stream.Latest = status;
                        }
                        break;
                    case StatusUpdateAck ack when _streams.TryGetValue((ack.FrameworkId, ack.TaskId), out var s):
                        // Replay: the ack normally matches the head; tolerate anything else by removing the matching entry.
                        var kept = s.Pending.Where(e => e.Update.Status!.UpdateId != ack.UpdateId).ToList();
                        if (kept.Count != s.Pending.Count)
                        {
                            _pending -= s.Pending.Count - kept.Count;
                            s.LastAcked = s.Pending.First(e => e.Update.Status!.UpdateId == ack.UpdateId).Update;
                            s.Pending.Clear();
                            foreach (var e in kept) s.Pending.Enqueue(e);
                        }
                        break;
                }
            }
        }
    }

    /// <summary>What the log must keep: each stream's last acknowledged update (its state) and every pending one.</summary>
    public IReadOnlyList<DcOsMessage> Snapshot()
    {
        lock (_lock)
        {
            var live = new List<DcOsMessage>();
            foreach (var stream in _streams.Values)
            {
                if (stream.LastAcked is { } acked)
                {
                    live.Add(acked);
                    live.Add(new StatusUpdateAck { FrameworkId = stream.Framework, TaskId = stream.Task, UpdateId = acked.Status!.UpdateId, AgentId = acked.Status.AgentId });
                }
                foreach (var e in stream.Pending) live.Add(e.Update);
            }
            return live;
        }
    }

    public void AttachLog(UpdateLog log)
    {
        lock (_lock) _log = log;
    }

    /// <summary>The newest update of the task (acknowledged or not), or null.</summary>
    public TaskStatusUpdate? Latest(FrameworkId framework, TaskId task)
    {
        lock (_lock) return _streams.TryGetValue((framework, task), out var s) ? s.Latest : null;
    }

    /// <summary>Whether some update of the task is not acknowledged yet.</summary>
    public bool HasPending(FrameworkId framework, TaskId task)
    {
        lock (_lock) return _streams.TryGetValue((framework, task), out var s) && s.Pending.Count > 0;
    }

    /// <summary>Every stream with its latest status and whether updates are pending.</summary>
    public List<(FrameworkId Framework, TaskId Task, TaskStatusUpdate Latest, bool Pending)> Streams()
    {
        lock (_lock)
        {
            return [.. _streams.Values.Where(s => s.Latest is not null).Select(s => (s.Framework, s.Task, s.Latest!, s.Pending.Count > 0))];
        }
    }

    /// <summary>Logs the update, then (once durable) sends it when it is the oldest pending update of its task.</summary>
    public void Emit(FrameworkId framework, TaskStatusUpdate status)
    {
        var update = new StatusUpdate { FrameworkId = framework, Status = status };
        lock (_lock)
        {
            // After the agent stopped, an update is dropped rather than thrown: the next agent on this work directory
            // works the task's state out again from its process, exit file and this log.
            if (_disposed || _log is null) return;
            var stream = GetStream(framework, status.TaskId);
            var entry = new Entry(stream, update);
            stream.Pending.Enqueue(entry);
            _pending++;
            stream.Latest = status;
            stream.Seen.Add(status.UpdateId);
            // Under the lock, so the log's order per task is the stream's order.
            _log!.Append(update, entry);
        }
    }

    /// <summary>The log reports a batch on disk: the heads among it may go.</summary>
    public void OnDurable(List<object> tokens)
    {
        lock (_lock)
        {
            foreach (var token in tokens)
            {
                var entry = (Entry)token;
                entry.Durable = true;
                if (entry.Stream.Pending.TryPeek(out var head) && ReferenceEquals(head, entry) && !entry.Sent) SendHead(entry.Stream);
            }
        }
    }

    /// <summary>Applies an acknowledgement; returns false when it is not for the task's oldest pending update.</summary>
    public bool Acknowledge(StatusUpdateAck ack)
    {
        (FrameworkId, TaskId)? drained = null;
        lock (_lock)
        {
            if (_disposed || !_streams.TryGetValue((ack.FrameworkId, ack.TaskId), out var stream)) return false;
            if (!stream.Pending.TryPeek(out var head) || head.Update.Status!.UpdateId != ack.UpdateId) return false;
            stream.Pending.Dequeue();
            if (--_pending == 0) _idle?.TrySetResult();
            stream.LastAcked = head.Update;
            stream.Backoff.Reset();
            stream.Timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _log?.Append(new StatusUpdateAck { FrameworkId = ack.FrameworkId, AgentId = ack.AgentId, TaskId = ack.TaskId, UpdateId = ack.UpdateId }, null);
            if (stream.Pending.TryPeek(out var next))
            {
                if (next.Durable) SendHead(stream);
            }
            else if (stream.Latest!.State.IsTerminal())
            {
                drained = (stream.Framework, stream.Task);
            }
        }
        if (drained is { } d) Drained?.Invoke(d.Item1, d.Item2);
        return true;
    }

    /// <summary>Completes when no update waits for an acknowledgement (at once if none does).</summary>
    public Task WhenAllAcknowledged()
    {
        lock (_lock)
        {
            if (_pending == 0) return Task.CompletedTask;
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_idle.Task.IsCompleted) _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    /// <summary>The agent is registered on <paramref name="connection"/>: resend every stream's head at once.</summary>
    public void Connected(IMessageConnection connection)
    {
        lock (_lock)
        {
            _connection = connection;
            foreach (var stream in _streams.Values)
            {
                stream.Backoff.Reset();
                if (stream.Pending.TryPeek(out var head) && head.Durable) SendHead(stream);
            }
        }
    }

    public void Disconnected(IMessageConnection connection)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_connection, connection)) _connection = null;
        }
    }

    /// <summary>Drops a stream with nothing pending (its task's sandbox was collected).</summary>
    public void Forget(FrameworkId framework, TaskId task)
    {
        lock (_lock)
        {
            if (_streams.TryGetValue((framework, task), out var s) && s.Pending.Count == 0)
            {
                s.Timer?.Dispose();
                _streams.Remove((framework, task));
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var s in _streams.Values) s.Timer?.Dispose();
        }
    }

    private UpdateStream GetStream(FrameworkId framework, TaskId task)
    {
        if (!_streams.TryGetValue((framework, task), out var stream))
        {
            stream = new UpdateStream(framework, task, new Backoff(_retryInitial, _retryMax));
            _streams.Add((framework, task), stream);
        }
        return stream;
    }

    // Called under the lock.
    private void SendHead(UpdateStream stream)
    {
        if (_disposed || _connection is not { } connection || !stream.Pending.TryPeek(out var head)) return;
        head.Sent = true;
        connection.TrySend(head.Update);
        var delay = stream.Backoff.Next();
        if (stream.Timer is null) stream.Timer = _time.CreateTimer(static s => ((StatusUpdateManager)((object[])s!)[0]).OnRetry((UpdateStream)((object[])s!)[1]), new object[] { this, stream }, delay, Timeout.InfiniteTimeSpan);
        else stream.Timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private void OnRetry(UpdateStream stream)
    {
        lock (_lock)
        {
            if (stream.Pending.TryPeek(out var head) && head.Durable) SendHead(stream);
        }
    }

    private sealed class UpdateStream(FrameworkId framework, TaskId task, Backoff backoff)
    {
        public FrameworkId Framework { get; } = framework;

        public TaskId Task { get; } = task;

        public Backoff Backoff { get; } = backoff;

        public Queue<Entry> Pending { get; } = new();

        public HashSet<Guid> Seen { get; } = [];

        public TaskStatusUpdate? Latest { get; set; }

        public StatusUpdate? LastAcked { get; set; }

        public ITimer? Timer { get; set; }
    }

    private sealed class Entry(UpdateStream stream, StatusUpdate update)
    {
        public UpdateStream Stream { get; } = stream;

        public StatusUpdate Update { get; } = update;

        public bool Durable { get; set; }

        public bool Sent { get; set; }
    }
}
