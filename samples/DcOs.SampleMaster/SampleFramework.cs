using DcOs.Core;
using DcOs.Framework;

namespace DcOs.SampleMaster;

/// <summary>
/// What the sample frameworks share: they remember their driver, store their framework id so a restarted master
/// process re-subscribes with it (keeping their tasks), and reconcile after every subscription to learn the truth.
/// </summary>
public abstract class SampleFramework(SampleStore store, string name) : FrameworkScheduler
{
    private const string Kind = "framework";

    /// <summary>The driver of the current subscription, null before the first one.</summary>
    protected IFrameworkDriver? Driver { get; set; }

    /// <summary>The id this framework had before, or empty on first start.</summary>
    public FrameworkId SavedId => store.Get<string>(Kind, name) is { } id ? new FrameworkId(id) : default;

    public override async Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected)
    {
        Driver = driver;
        store.Put(Kind, name, frameworkId.Value);
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
