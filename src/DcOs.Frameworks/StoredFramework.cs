using DcOs.Core;
using DcOs.Framework;
using DcOs.Frameworks.Internal;

namespace DcOs.Frameworks;

/// <summary>
/// What the services and jobs frameworks share: they remember their driver, store their framework id so that a
/// restarted process re-subscribes with it (keeping their tasks), and reconcile after every subscription to learn the
/// truth, launching nothing until the master has answered: offers that come first are declined, so a restarted
/// framework that does not yet know its running tasks never launches them a second time.
/// </summary>
public abstract class StoredFramework : FrameworkScheduler
{
    private const string Kind = "framework";

    private readonly IFrameworkStore _store;
    private readonly string _name;
    private volatile bool _reconciled;
    private TaskId _probe;

    /// <summary>A framework named <paramref name="name"/> keeping its state in <paramref name="store"/>.</summary>
    protected StoredFramework(IFrameworkStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(name);
        _store = store;
        _name = name;
    }

    /// <summary>The driver of the current subscription, null before the first one.</summary>
    protected IFrameworkDriver? Driver { get; set; }

    /// <summary>The store the framework keeps its state in.</summary>
    protected IFrameworkStore Store => _store;

    /// <summary>The id this framework had before, or empty on first start: subscribe with it to keep the tasks.</summary>
    public FrameworkId SavedId => _store.Load<string>(Kind, _name) is { } id ? new FrameworkId(id) : default;

    /// <inheritdoc />
    public override async Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected)
    {
        ArgumentNullException.ThrowIfNull(driver);
        Driver = driver;
        _reconciled = false;
        _store.Save(Kind, _name, frameworkId.Value);
        // Learn the state of every task after a (re)subscription: it rebuilds the framework's view after a restart. The
        // master answers in order, so the answer to a task it cannot know (the probe) comes after every implicit answer:
        // it marks the end of reconciliation (Mesos gives no other).
        // Tasks the framework stored before launching are asked for by id as well: the master answers even those it never
        // heard of (TASK_GONE, TASK_UNKNOWN or TASK_LOST), so a launch that never reached it is known to be lost.
        _probe = new TaskId("reconciled." + Guid.NewGuid().ToString("N"));
        await driver.ReconcileAsync([]).ConfigureAwait(false);
        foreach (var chunk in KnownTasks().Chunk(ReconcileChunk)) await driver.ReconcileAsync(chunk).ConfigureAwait(false);
        await driver.ReconcileAsync([(_probe, default)]).ConfigureAwait(false);
    }

    /// <summary>Tasks asked for in one explicit reconciliation message, so a large framework's request stays a small frame.</summary>
    private const int ReconcileChunk = 1000;

    /// <summary>The tasks the framework stored as launched and has not seen end: reconciled by id after each subscription.</summary>
    protected virtual IReadOnlyList<(TaskId TaskId, AgentId AgentId)> KnownTasks() => [];

    /// <summary>
    /// Call first from <see cref="FrameworkScheduler.StatusUpdateAsync"/>: true when <paramref name="status"/> is the
    /// answer that ends reconciliation (the framework may launch from now on, and asks for offers); nothing else is to
    /// be done with it.
    /// </summary>
    protected async Task<bool> EndsReconciliationAsync(IFrameworkDriver driver, TaskStatusUpdate status)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(status);
        if (_probe.IsEmpty || status.TaskId != _probe) return false;
        _reconciled = true;
        await driver.ReviveAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Offers that arrive before reconciliation ended are declined for a second and nothing is launched; after, they go
    /// to <see cref="PlaceAsync"/>.
    /// </summary>
    public sealed override async Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(offers);
        Driver = driver;
        await _answering.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_reconciled)
            {
                await driver.DeclineAsync([.. offers.Select(o => o.Id)], new Filters(1)).ConfigureAwait(false);
                return;
            }
            await PlaceAsync(driver, offers).ConfigureAwait(false);
        }
        finally
        {
            _answering.Release();
        }
    }

    /// <summary>
    /// Held while offers are placed and answered. A revive waits for it: work added while offers were found idle (an
    /// app posted just then) must not have its revive reach the master before that decline, whose filter would then
    /// keep the declined agents from the new work (a cheapest app landed on the dearer agents that way).
    /// </summary>
    private readonly SemaphoreSlim _answering = new(1, 1);

    /// <summary>Places the framework's waiting work on <paramref name="offers"/> and answers every one of them.</summary>
    protected abstract Task PlaceAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers);

    /// <summary>Why a framework constructed without an optimizer places nothing (it only answers for its stored state).</summary>
    protected static InvalidOperationException NoOptimizer() =>
        new("no placement optimizer: construct the framework with one (DcOs.Optimization's PlacementOptimizer.Create) or register it with AddDcOsCostOptimizer()");

    /// <summary>Asks for offers again (new work, or a backoff that ended).</summary>
    protected async Task ReviveAsync()
    {
        if (Driver is not { } driver) return;
        await _answering.WaitAsync().ConfigureAwait(false);
        try
        {
            await driver.ReviveAsync().ConfigureAwait(false);
        }
        finally
        {
            _answering.Release();
        }
    }
}
