using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;

namespace DcOs.Frameworks.Tests;

/// <summary>
/// The edge of the frameworks' unit tests: a driver that records what a framework asks of the master (accepts,
/// declines, kills, reconciliations) instead of sending it, so their logic runs on fake time with no master.
/// </summary>
internal sealed class RecordingDriver : IFrameworkDriver
{
    public List<(IReadOnlyList<OfferId> Offers, IReadOnlyList<TaskSpec> Tasks)> Accepted { get; } = [];

    public List<OfferId> Declined { get; } = [];

    public List<TaskId> Killed { get; } = [];

    public int Reconciliations { get; private set; }

    /// <summary>Task ids of explicit reconciliations, in order (the frameworks' end-of-reconciliation probe among them).</summary>
    public List<TaskId> ReconciledTasks { get; } = [];

    public int Revives { get; private set; }

    public FrameworkId FrameworkId { get; set; } = new("fw-test");

    public bool IsConnected => true;

    public BillingMode Billing { get; set; } = BillingMode.Machine;

    public IEnumerable<TaskSpec> Launched => Accepted.SelectMany(a => a.Tasks);

    /// <summary>An offer of a whole agent named <paramref name="agent"/>, as the master would make it, priced by <paramref name="cost"/>.</summary>
    public static Offer OfferOn(string agent, string resources = "cpus:4;mem:4096", CostModel? cost = null) => new()
    {
        Cost = cost ?? CostModel.Free,
        Id = new OfferId("offer-" + Guid.NewGuid().ToString("N")[..8]),
        FrameworkId = new FrameworkId("fw-test"),
        AgentId = new AgentId(agent),
        Hostname = agent,
        Resources = Resources.Parse(resources),
        AgentTotal = Resources.Parse(resources),
    };

    /// <summary>Answers the framework's reconciliation as the master would, after everything else: it may launch then.</summary>
    public Task EndReconciliationAsync(FrameworkScheduler framework) => framework.StatusUpdateAsync(this, new TaskStatusUpdate
    {
        TaskId = ReconciledTasks[^1],
        State = TaskState.Lost,
        Reason = TaskStatusReason.Reconciliation,
        Source = TaskStatusSource.Master,
    });

    public ValueTask AcceptAsync(IReadOnlyList<OfferId> offerIds, IReadOnlyList<TaskSpec> tasks, Filters? filters = null)
    {
        lock (this) Accepted.Add((offerIds, tasks));
        return ValueTask.CompletedTask;
    }

    /// <summary>Declines, suppressions and revives in the order they were sent ("decline", "suppress", "revive").</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Awaited inside each decline before it counts as sent (a test holds a decline in flight with it).</summary>
    public Func<Task>? DeclineGate { get; set; }

    public async ValueTask DeclineAsync(IReadOnlyList<OfferId> offerIds, Filters? filters = null, IReadOnlyDictionary<PlacementReason, long>? reasons = null)
    {
        if (DeclineGate is { } gate) await gate();
        lock (this)
        {
            Declined.AddRange(offerIds);
            Calls.Add("decline");
        }
    }

    public ValueTask ReviveAsync(params string[] roles)
    {
        lock (this)
        {
            Revives++;
            Calls.Add("revive");
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask SuppressAsync(params string[] roles)
    {
        lock (this) Calls.Add("suppress");
        return ValueTask.CompletedTask;
    }

    public ValueTask KillTaskAsync(TaskId taskId, AgentId agentId = default)
    {
        lock (this) Killed.Add(taskId);
        return ValueTask.CompletedTask;
    }

    public ValueTask ReconcileAsync(IReadOnlyList<(TaskId TaskId, AgentId AgentId)> tasks)
    {
        lock (this)
        {
            Reconciliations++;
            ReconciledTasks.AddRange(tasks.Select(t => t.TaskId));
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask AcknowledgeAsync(TaskStatusUpdate status) => ValueTask.CompletedTask;

    public Task<BatchPlacement> PlaceTasksAsync(IReadOnlyList<TaskSpec> tasks, ObjectiveKind objective = ObjectiveKind.Cheapest, TimeSpan? estimatedDuration = null) =>
        throw new NotSupportedException("the services and jobs frameworks place from offers");

    public ValueTask SendFrameworkMessageAsync(AgentId agentId, ExecutorId executorId, byte[] data) => ValueTask.CompletedTask;
}
