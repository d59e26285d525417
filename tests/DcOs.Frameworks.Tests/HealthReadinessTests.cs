using DcOs.Core;
using DcOs.Frameworks.Services;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Frameworks.Tests;

/// <summary>An instance whose health check has not answered is neither healthy nor ready (Marathon's rule).</summary>
public sealed class HealthReadinessTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly RecordingDriver _driver = new();
    private readonly ServicesFramework _services;

    public HealthReadinessTests() => _services = new ServicesFramework(FrameworkStores.InMemory(), _time, Optimizers.On(_time));

    public void Dispose() => _services.Dispose();

    private Task ReportAsync(TaskSpec task, TaskState state, bool? healthy = null) => _services.StatusUpdateAsync(_driver, new TaskStatusUpdate
    {
        TaskId = task.Id, State = state, Healthy = healthy, AgentId = new AgentId("a1"), Timestamp = _time.GetUtcNow(), UpdateId = Guid.NewGuid(),
    });

    private static AppDefinition Web(string cmd) => new()
    {
        Id = "/web", Cmd = cmd, Cpus = 0.1, Mem = 32, Instances = 1, Ports = [0],
        HealthChecks = [new AppHealthCheck { Protocol = "TCP", GracePeriodSeconds = 5, IntervalSeconds = 1 }],
        UpgradeStrategy = new UpgradeStrategy { MinimumHealthCapacity = 1, MaximumOverCapacity = 1 },
    };

    [Fact]
    public async Task Running_without_a_health_result_is_not_healthy_and_an_upgrade_keeps_the_old_instance_until_the_new_passes()
    {
        await _services.SubscribedAsync(_driver, _driver.FrameworkId, reconnected: false);
        await _driver.EndReconciliationAsync(_services);
        _services.Add(Web("serve v1"));
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:4;mem:4096;ports:[31000-31100]")]);
        var v1 = _driver.Launched.Single();
        await ReportAsync(v1, TaskState.Running);

        var view = Assert.Single(_services.List());
        Assert.Equal(1, view.TasksRunning);
        Assert.Equal(0, view.TasksHealthy);
        Assert.True(view.Deploying, "deployed before its health check answered");
        await ReportAsync(v1, TaskState.Running, healthy: true);
        Assert.False(Assert.Single(_services.List()).Deploying);

        // A new version: its instance runs but has not passed its check yet, so the old one stays.
        _services.Update("web", Web("serve v2"));
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:4;mem:4096;ports:[31000-31100]")]);
        var v2 = _driver.Launched.Last();
        await ReportAsync(v2, TaskState.Running);
        Assert.Empty(_driver.Killed);
        await ReportAsync(v2, TaskState.Running, healthy: true);
        Assert.Equal([v1.Id], _driver.Killed);
    }
}
