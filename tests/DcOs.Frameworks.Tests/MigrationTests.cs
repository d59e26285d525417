using DcOs.Core;
using DcOs.Frameworks.Services;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Frameworks.Tests;

/// <summary>
/// A consolidation plan carried out by the services framework as a rolling migration: the replacement is pinned to the
/// target and launched first; the moved instance is killed only once the replacement is ready (healthy, with a check).
/// </summary>
public sealed class MigrationTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingDriver _driver = new();
    private readonly ServicesFramework _services;

    public MigrationTests() => _services = new ServicesFramework(FrameworkStores.InMemory(), _time, Optimizers.On(_time));

    public void Dispose() => _services.Dispose();

    private Task ReportAsync(TaskId task, TaskState state, string agent, bool? healthy = null) => _services.StatusUpdateAsync(_driver, new TaskStatusUpdate
    {
        TaskId = task, State = state, AgentId = new AgentId(agent), Timestamp = _time.GetUtcNow(), UpdateId = Guid.NewGuid(), Healthy = healthy,
    });

    private async Task<TaskId> StartOneInstanceOnAAsync(AppDefinition app)
    {
        await _services.SubscribedAsync(_driver, _driver.FrameworkId, reconnected: false);
        await _driver.EndReconciliationAsync(_services);
        _services.Add(app);
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a")]);
        var id = _driver.Launched.Single().Id;
        await ReportAsync(id, TaskState.Running, "a", healthy: app.HealthChecks is null ? null : true);
        return id;
    }

    [Fact]
    public async Task The_replacement_goes_to_the_target_first_and_the_moved_instance_goes_once_it_is_healthy()
    {
        var app = new AppDefinition
        {
            Id = "/web", Cmd = "serve", Cpus = 0.1, Mem = 32, Instances = 1,
            HealthChecks = [new AppHealthCheck { Protocol = "COMMAND", Command = new AppCommand { Value = "true" } }],
        };
        var old = await StartOneInstanceOnAAsync(app);

        Assert.Equal([old], _services.Migrate([(old, "b")]));
        Assert.Empty(_services.Migrate([(old, "b")]));  // already moving
        Offer[] offers = [RecordingDriver.OfferOn("a"), RecordingDriver.OfferOn("b")];
        await _services.OffersAsync(_driver, offers);
        var (accepted, tasks) = _driver.Accepted[^1];
        Assert.Equal(offers[1].Id, Assert.Single(accepted));
        var replacement = Assert.Single(tasks);
        Assert.Contains(replacement.Constraints, c => c.ToString() == "hostname:IS:b");
        Assert.Empty(_driver.Killed);

        // Running but not yet healthy: the moved instance stays.
        await ReportAsync(replacement.Id, TaskState.Running, "b");
        Assert.Empty(_driver.Killed);
        await ReportAsync(replacement.Id, TaskState.Running, "b", healthy: true);
        Assert.Equal([old], _driver.Killed);
        await ReportAsync(old, TaskState.Killed, "a");

        var view = _services.Get("web")!;
        Assert.Equal(1, view.TasksRunning);
        // Nothing else is launched or killed: the replacement is the app's one instance.
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a"), RecordingDriver.OfferOn("b")]);
        Assert.Equal(2, _driver.Launched.Count());
        Assert.Equal([old], _driver.Killed);
    }

    [Fact]
    public async Task A_move_whose_target_cannot_take_the_replacement_is_given_up_and_the_instance_stays()
    {
        var old = await StartOneInstanceOnAAsync(new AppDefinition { Id = "/web", Cmd = "serve", Cpus = 2, Mem = 32, Instances = 1 });
        Assert.Equal([old], _services.Migrate([(old, "b")]));
        for (var round = 0; round < 4; round++)
            await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a"), RecordingDriver.OfferOn("b", "cpus:1;mem:4096")]);
        Assert.Single(_driver.Launched);
        Assert.Empty(_driver.Killed);
        Assert.DoesNotContain(_services.Pending(), p => p.AppId == "/web" && p.Waiting > 0);

        // A replacement that keeps failing at the target is given up too, and the instance still runs where it was.
        Assert.Equal([old], _services.Migrate([(old, "b")]));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            _time.Advance(TimeSpan.FromMinutes(10));
            await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("b")]);
            await ReportAsync(_driver.Launched.Last().Id, TaskState.Failed, "b");
        }
        _time.Advance(TimeSpan.FromMinutes(10));
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("b")]);
        Assert.Equal(4, _driver.Launched.Count());
        Assert.Empty(_driver.Killed);
        Assert.Equal(1, _services.Get("web")!.TasksRunning);
    }
}
