using System.Collections.Concurrent;
using System.Threading.Channels;
using DcOs.Core;
using DcOs.Framework;

namespace DcOs.Simulation.Tests;

/// <summary>
/// A framework scheduler that records what it is told and, when <see cref="LaunchTarget"/> is set, launches that many
/// small tasks on the offers it gets (declining the rest). Updates are counted by id, so a duplicate delivery shows.
/// </summary>
internal sealed class RecordingScheduler : FrameworkScheduler
{
    private readonly ConcurrentDictionary<Guid, int> _deliveries = new();
    private readonly ConcurrentDictionary<AgentId, byte> _offeredAgents = new();
    private readonly ConcurrentDictionary<TaskState, int> _byState = new();
    private int _launched;
    private int _reconciliationAnswers;
    private int _subscriptions;
    private int _duplicates;
    private int _expectedOfferedAgents = int.MaxValue;
    private int _expectedRunning = int.MaxValue;
    private int _expectedReconciliations = int.MaxValue;

    public IFrameworkClient Driver { get; set; } = null!;

    /// <summary>How many tasks to launch in all (0: launch nothing, keep no offer).</summary>
    public int LaunchTarget { get; init; }

    /// <summary>How many tasks one offer gets at most.</summary>
    public int TasksPerOffer { get; init; } = 1;

    public Resources TaskResources { get; init; } = Resources.Parse("cpus:0.1;mem:32");

    public Channel<TaskStatusUpdate> Updates { get; } = Channel.CreateUnbounded<TaskStatusUpdate>();

    public Channel<AgentId> LostAgents { get; } = Channel.CreateUnbounded<AgentId>();

    public TaskCompletionSource AllOffered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource AllRunning { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource AllReconciled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Subscriptions => Volatile.Read(ref _subscriptions);

    public int Duplicates => Volatile.Read(ref _duplicates);

    public int Deliveries => _deliveries.Count;

    public int ReconciliationAnswers => Volatile.Read(ref _reconciliationAnswers);

    public int OfferedAgents => _offeredAgents.Count;

    public int Count(TaskState state) => _byState.GetValueOrDefault(state);

    public void ExpectOfferedAgents(int count) => Volatile.Write(ref _expectedOfferedAgents, count);

    public void ExpectRunning(int count) => Volatile.Write(ref _expectedRunning, count);

    public void ExpectReconciliations(int count) => Volatile.Write(ref _expectedReconciliations, count);

    public override Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected)
    {
        Interlocked.Increment(ref _subscriptions);
        return Task.CompletedTask;
    }

    public override async Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        foreach (var offer in offers) _offeredAgents.TryAdd(offer.AgentId, 0);
        if (_offeredAgents.Count >= Volatile.Read(ref _expectedOfferedAgents)) AllOffered.TrySetResult();
        if (LaunchTarget == 0) return;
        var decline = new List<OfferId>();
        foreach (var offer in offers)
        {
            var tasks = new List<TaskSpec>();
            while (tasks.Count < TasksPerOffer)
            {
                var n = Interlocked.Increment(ref _launched);
                if (n > LaunchTarget) break;
                tasks.Add(new TaskSpec { Id = new TaskId($"task-{n:D7}"), Command = CommandSpec.FromShell("sleep 1000"), Resources = TaskResources });
            }
            if (tasks.Count == 0) decline.Add(offer.Id);
            else await driver.AcceptAsync([offer.Id], tasks);
        }
        if (decline.Count > 0) await driver.DeclineAsync(decline, new Filters(86_400));
    }

    public override Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
    {
        if (status.Reason == TaskStatusReason.Reconciliation && !status.NeedsAcknowledgement)
        {
            // The master's answers (and its "reachable again" updates) carry no update id: counted apart.
            if (Interlocked.Increment(ref _reconciliationAnswers) >= Volatile.Read(ref _expectedReconciliations)) AllReconciled.TrySetResult();
            Updates.Writer.TryWrite(status);
            return Task.CompletedTask;
        }
        if (_deliveries.AddOrUpdate(status.UpdateId, 1, (_, n) => n + 1) > 1) Interlocked.Increment(ref _duplicates);
        var running = _byState.AddOrUpdate(status.State, 1, (_, n) => n + 1);
        if (status.State == TaskState.Running && running >= Volatile.Read(ref _expectedRunning)) AllRunning.TrySetResult();
        Updates.Writer.TryWrite(status);
        return Task.CompletedTask;
    }

    public override Task AgentLostAsync(IFrameworkDriver driver, AgentId agentId, string reason)
    {
        LostAgents.Writer.TryWrite(agentId);
        return Task.CompletedTask;
    }

    /// <summary>The next update (any task), within the harness' timeout.</summary>
    public async Task<TaskStatusUpdate> NextUpdateAsync() => await Updates.Reader.ReadAsync().AsTask().WaitAsync(SimulationHarness.Timeout);
}
