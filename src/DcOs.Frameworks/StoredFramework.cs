using DcOs.Core;
using DcOs.Framework;
using DcOs.Frameworks.Internal;

namespace DcOs.Frameworks;

/// <summary>
/// What the services and jobs frameworks share: they remember their driver, store their framework id so that a
/// restarted process re-subscribes with it (keeping their tasks), and reconcile after every subscription to learn the
/// truth.
/// </summary>
public abstract class StoredFramework : FrameworkScheduler
{
    private const string Kind = "framework";

    private readonly IFrameworkStore _store;
    private readonly string _name;

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
        _store.Save(Kind, _name, frameworkId.Value);
        // Learn the state of every task after a (re)subscription: it rebuilds the framework's view after a restart.
        await driver.ReconcileAsync([]).ConfigureAwait(false);
        await driver.ReviveAsync().ConfigureAwait(false);
    }

    /// <summary>Asks for offers again (new work, or a backoff that ended).</summary>
    protected async Task ReviveAsync()
    {
        if (Driver is { } driver) await driver.ReviveAsync().ConfigureAwait(false);
    }
}
