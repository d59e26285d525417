using DcOs.Core;

namespace DcOs.Framework.Internal;

/// <summary>
/// Which status updates the scheduler has had, per task, so a resend is acknowledged again but not delivered twice.
/// Exactly once for every task that has not ended, however many there are (a global window of the last 100,000 update
/// ids forgot the first updates of a 100,000-task launch before their resends came: RUNNING was delivered 193,689
/// times); for ended tasks, for the last <see cref="FinishedTasks"/> of them. A task's memory is the ids of its
/// updates (a handful: staging, starting, running, healthy changes, the end; the oldest go past
/// <see cref="IdsPerTask"/>). Used from the driver's event loop only.
/// </summary>
internal sealed class DeliveredUpdates(int finishedTasks = DeliveredUpdates.FinishedTasks)
{
    /// <summary>Ended tasks whose updates are remembered (their resends come until the terminal update is acknowledged).</summary>
    public const int FinishedTasks = 100_000;

    /// <summary>Update ids remembered per task.</summary>
    public const int IdsPerTask = 16;

    private readonly Dictionary<TaskId, List<Guid>> _byTask = [];
    private readonly Queue<TaskId> _finished = new();
    private readonly HashSet<TaskId> _ended = [];

    /// <summary>Tasks remembered (live and ended), for tests.</summary>
    public int Tasks => _byTask.Count;

    /// <summary>Records that the scheduler gets <paramref name="update"/>; false when it already had it (a resend).</summary>
    public bool TryRemember(TaskStatusUpdate update)
    {
        if (!_byTask.TryGetValue(update.TaskId, out var ids)) _byTask[update.TaskId] = ids = [];
        if (ids.Contains(update.UpdateId)) return false;
        ids.Add(update.UpdateId);
        if (ids.Count > IdsPerTask) ids.RemoveAt(0);
        if (update.State.IsTerminal() && _ended.Add(update.TaskId))
        {
            _finished.Enqueue(update.TaskId);
            while (_finished.Count > finishedTasks)
            {
                var oldest = _finished.Dequeue();
                _ended.Remove(oldest);
                _byTask.Remove(oldest);
            }
        }
        return true;
    }

    /// <summary>The scheduler did not handle <paramref name="update"/>: its resend is to be delivered.</summary>
    public void Forget(TaskStatusUpdate update)
    {
        if (_byTask.TryGetValue(update.TaskId, out var ids)) ids.Remove(update.UpdateId);
    }
}
