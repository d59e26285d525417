using DcOs.Core;
using DcOs.Frameworks.Services;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Frameworks.Tests;

/// <summary>
/// Marathon's unreachableStrategy in the services framework, on fake time: an unreachable instance counts until
/// inactiveAfterSeconds, is then replaced, and is killed if it returns after expungeAfterSeconds; one that returns in
/// between is an extra instance, and killSelection picks which goes.
/// </summary>
public sealed class UnreachableInstancesTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingDriver _driver = new();
    private readonly ServicesFramework _services;

    public UnreachableInstancesTests() => _services = new ServicesFramework(FrameworkStores.InMemory(), _time, Optimizers.On(_time));

    public void Dispose() => _services.Dispose();

    private Task ReportAsync(TaskSpec task, TaskState state, string agent) => _services.StatusUpdateAsync(_driver, new TaskStatusUpdate
    {
        TaskId = task.Id,
        State = state,
        AgentId = new AgentId(agent),
        Timestamp = _time.GetUtcNow(),
        UpdateId = Guid.NewGuid(),
    });

    /// <summary>An app of two instances running on a1 and a2, the one on a1 now unreachable.</summary>
    private async Task<(TaskSpec OnA1, TaskSpec OnA2)> TwoInstancesOneUnreachableAsync(string killSelection = "YOUNGEST_FIRST")
    {
        await _services.SubscribedAsync(_driver, _driver.FrameworkId, reconnected: false);
        await _driver.EndReconciliationAsync(_services);
        _services.Add(new AppDefinition
        {
            Id = "/web", Cmd = "sleep 1000", Cpus = 0.1, Mem = 32, Instances = 2, KillSelection = killSelection,
            UnreachableStrategy = new UnreachableStrategy { InactiveAfterSeconds = 300, ExpungeAfterSeconds = 600 },
            Constraints = [["hostname", "UNIQUE"]],
        });
        var a1 = RecordingDriver.OfferOn("a1");
        var a2 = RecordingDriver.OfferOn("a2");
        await _services.OffersAsync(_driver, [a1, a2]);
        Assert.Equal(2, _driver.Launched.Count());
        var onA1 = _driver.Accepted.Single(a => a.Offers.Contains(a1.Id)).Tasks.Single();
        var onA2 = _driver.Accepted.Single(a => a.Offers.Contains(a2.Id)).Tasks.Single();
        await ReportAsync(onA1, TaskState.Running, "a1");
        await ReportAsync(onA2, TaskState.Running, "a2");
        _time.Advance(TimeSpan.FromSeconds(10));
        await ReportAsync(onA1, TaskState.Unreachable, "a1");
        return (onA1, onA2);
    }

    [Fact]
    public async Task An_unreachable_instance_is_replaced_only_after_inactive_after_seconds_and_the_app_says_why()
    {
        await TwoInstancesOneUnreachableAsync();
        var view = Assert.Single(_services.List());
        Assert.Equal(1, view.TasksUnreachable);
        Assert.Contains("unreachable", view.Message);

        _time.Advance(TimeSpan.FromSeconds(299));
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a3")]);
        Assert.Equal(2, _driver.Launched.Count());

        _time.Advance(TimeSpan.FromSeconds(1));
        var a3 = RecordingDriver.OfferOn("a3");
        await _services.OffersAsync(_driver, [a3]);
        Assert.Equal(3, _driver.Launched.Count());
        Assert.Equal(a3.Id, Assert.Single(_driver.Accepted[^1].Offers));
        Assert.StartsWith("web.v1.", _driver.Launched.Last().Id.Value, StringComparison.Ordinal);
        Assert.Null(Assert.Single(_services.List()).Message is { } m && m.Contains("waiting", StringComparison.Ordinal) ? m : null);
    }

    [Fact]
    public async Task An_instance_back_before_expunge_is_an_extra_and_kill_selection_picks_the_youngest_by_default()
    {
        var (onA1, _) = await TwoInstancesOneUnreachableAsync();
        _time.Advance(TimeSpan.FromSeconds(300));
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a3")]);
        var replacement = _driver.Launched.Last();
        await ReportAsync(replacement, TaskState.Running, "a3");
        Assert.Empty(_driver.Killed);

        // a1 heals: three instances for two wanted; the replacement, the youngest, goes.
        _time.Advance(TimeSpan.FromSeconds(60));
        await ReportAsync(onA1, TaskState.Running, "a1");
        Assert.Equal([replacement.Id], _driver.Killed);
        Assert.Equal(0, Assert.Single(_services.List()).TasksUnreachable);
    }

    [Fact]
    public async Task With_oldest_first_the_instance_that_came_back_goes()
    {
        var (onA1, onA2) = await TwoInstancesOneUnreachableAsync("OLDEST_FIRST");
        _time.Advance(TimeSpan.FromSeconds(300));
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a3")]);
        await ReportAsync(_driver.Launched.Last(), TaskState.Running, "a3");

        await ReportAsync(onA1, TaskState.Running, "a1");

        // a1's and a2's started together, before the replacement; the first in id order of the oldest goes.
        var killed = Assert.Single(_driver.Killed);
        Assert.Contains(killed, new[] { onA1.Id, onA2.Id });
    }

    [Fact]
    public async Task An_instance_back_after_expunge_is_killed_and_the_replacement_stays()
    {
        var (onA1, _) = await TwoInstancesOneUnreachableAsync();
        _time.Advance(TimeSpan.FromSeconds(300));
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a3")]);
        var replacement = _driver.Launched.Last();
        await ReportAsync(replacement, TaskState.Running, "a3");

        // Unreachable for 600 s: given up on (the sweep runs on the clock).
        _time.Advance(TimeSpan.FromSeconds(300));
        Assert.Equal(2, Assert.Single(_services.List()).Tasks.Count);

        await ReportAsync(onA1, TaskState.Running, "a1");
        Assert.Equal([onA1.Id], _driver.Killed);
        await ReportAsync(onA1, TaskState.Killed, "a1");
        var view = Assert.Single(_services.List());
        Assert.Equal(2, view.TasksRunning);
        Assert.DoesNotContain(view.Tasks, t => t.Id == onA1.Id.Value);
    }
}
