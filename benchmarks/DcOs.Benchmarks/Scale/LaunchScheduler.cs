using System.Collections.Concurrent;
using System.Diagnostics;
using DcOs.Core;
using DcOs.Framework;

namespace DcOs.Benchmarks.Scale;

/// <summary>
/// The framework of <c>quick scale</c>, measured as a framework author sees it: it launches <c>target</c> small
/// tasks on the offers it gets (up to <c>perOffer</c> per offer, declining the rest), and records when each
/// accept went out and when its TASK_RUNNING arrived, every update id delivered (a second delivery is a duplicate),
/// the terminal states it was told, and the master's reconciliation answers.
/// </summary>
internal sealed class LaunchScheduler(int target, int perOffer) : FrameworkScheduler
{
    private readonly long[] _acceptedAt = new long[target];
    private readonly double[] _latencyMs = new double[target];
    private readonly ConcurrentDictionary<Guid, byte> _updateIds = new();
    private readonly ConcurrentDictionary<AgentId, byte> _offeredAgents = new();
    private readonly ConcurrentDictionary<TaskState, int> _states = new();
    private int _launched;
    private int _running;
    private int _duplicates;
    private int _reconciled;
    private int _subscriptions;
    private int _expectedAgents = int.MaxValue;
    private int _expectedReconciled = int.MaxValue;
    private long _firstAcceptAt;
    private long _lastRunningAt;

    public TaskCompletionSource FirstOffer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource AllOffered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource AllRunning { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource AllReconciled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Subscriptions => Volatile.Read(ref _subscriptions);

    public int Duplicates => Volatile.Read(ref _duplicates);

    public int Running => Volatile.Read(ref _running);

    /// <summary>Tasks the framework was told are gone while it expected them to run (lost, unreachable, gone, dropped, failed).</summary>
    public int Lost => new[] { TaskState.Lost, TaskState.Unreachable, TaskState.Gone, TaskState.Dropped, TaskState.Failed, TaskState.Error }.Sum(s => _states.GetValueOrDefault(s));

    /// <summary>Tasks per second from the first accept to the last TASK_RUNNING.</summary>
    public double TasksPerSecond => Running / Stopwatch.GetElapsedTime(Interlocked.Read(ref _firstAcceptAt), Interlocked.Read(ref _lastRunningAt)).TotalSeconds;

    public double LatencyPercentileMs(double p)
    {
        var sorted = _latencyMs.Where(l => l > 0).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    public void ExpectAgents(int count) => Volatile.Write(ref _expectedAgents, count);

    public void ExpectReconciled(int count)
    {
        Volatile.Write(ref _reconciled, 0);
        Volatile.Write(ref _expectedReconciled, count);
    }

    public override Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected)
    {
        Interlocked.Increment(ref _subscriptions);
        return Task.CompletedTask;
    }

    public override async Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        FirstOffer.TrySetResult();
        foreach (var offer in offers) _offeredAgents.TryAdd(offer.AgentId, 0);
        if (_offeredAgents.Count >= Volatile.Read(ref _expectedAgents)) AllOffered.TrySetResult();
        var decline = new List<OfferId>();
        foreach (var offer in offers)
        {
            var tasks = new List<TaskSpec>();
            while (tasks.Count < perOffer)
            {
                var n = Interlocked.Increment(ref _launched);
                if (n > target) break;
                tasks.Add(new TaskSpec { Id = new TaskId($"t-{n - 1:D7}"), Command = CommandSpec.FromShell("sleep 3600"), Resources = Resources.Parse("cpus:0.1;mem:32") });
            }
            if (tasks.Count == 0)
            {
                decline.Add(offer.Id);
                continue;
            }
            var now = Stopwatch.GetTimestamp();
            Interlocked.CompareExchange(ref _firstAcceptAt, now, 0);
            foreach (var task in tasks) _acceptedAt[Index(task.Id)] = now;
            await driver.AcceptAsync([offer.Id], tasks);
        }
        // Declined for a second only: the launch starts with the next round.
        if (decline.Count > 0) await driver.DeclineAsync(decline, new Filters(1));
    }

    public override Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
    {
        if (!status.NeedsAcknowledgement)
        {
            if (status.Reason == TaskStatusReason.Reconciliation && Interlocked.Increment(ref _reconciled) >= Volatile.Read(ref _expectedReconciled)) AllReconciled.TrySetResult();
            return Task.CompletedTask;
        }
        if (!_updateIds.TryAdd(status.UpdateId, 0)) Interlocked.Increment(ref _duplicates);
        _states.AddOrUpdate(status.State, 1, (_, n) => n + 1);
        if (status.State == TaskState.Running)
        {
            var now = Stopwatch.GetTimestamp();
            var i = Index(status.TaskId);
            _latencyMs[i] = Stopwatch.GetElapsedTime(_acceptedAt[i], now).TotalMilliseconds;
            Interlocked.Exchange(ref _lastRunningAt, now);
            if (Interlocked.Increment(ref _running) >= target) AllRunning.TrySetResult();
        }
        return Task.CompletedTask;
    }

    private static int Index(TaskId id) => int.Parse(id.Value.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);
}
