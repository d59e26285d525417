using DcOs.Core;
using DcOs.Frameworks.Services;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Frameworks.Tests;

/// <summary>
/// Marathon's deployments in the services framework: every change is a deployment with progress, done only when the
/// target version's instances run (and are healthy), one per app unless forced, cancellable with a rollback; versions
/// are kept and listed.
/// </summary>
public sealed class DeploymentTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingDriver _driver = new();
    private readonly IFrameworkStore _store = FrameworkStores.InMemory();
    private ServicesFramework _services;

    public DeploymentTests() => _services = new ServicesFramework(_store, _time, Optimizers.On(_time));

    public void Dispose() => _services.Dispose();

    private async Task StartAsync()
    {
        await _services.SubscribedAsync(_driver, _driver.FrameworkId, reconnected: false);
        await _driver.EndReconciliationAsync(_services);
    }

    private static AppDefinition Web(string cmd, int instances = 2) => new() { Id = "/web", Cmd = cmd, Cpus = 0.1, Mem = 32, Instances = instances };

    private Task ReportAsync(TaskId task, TaskState state) => _services.StatusUpdateAsync(_driver, new TaskStatusUpdate
    {
        TaskId = task, State = state, AgentId = new AgentId("a1"), Timestamp = _time.GetUtcNow(), UpdateId = Guid.NewGuid(),
    });

    /// <summary>One round of offers; the instances it launches report RUNNING when <paramref name="run"/>.</summary>
    private async Task<List<TaskId>> LaunchAsync(bool run = true)
    {
        var before = _driver.Launched.Count();
        await _services.OffersAsync(_driver, [RecordingDriver.OfferOn("a1")]);
        var launched = _driver.Launched.Skip(before).Select(t => t.Id).ToList();
        if (run) foreach (var id in launched) await ReportAsync(id, TaskState.Running);
        return launched;
    }

    /// <summary>The kills asked for since <paramref name="from"/> end as TASK_KILLED.</summary>
    private async Task ConfirmKillsAsync(int from = 0)
    {
        foreach (var id in _driver.Killed.Skip(from).ToList()) await ReportAsync(id, TaskState.Killed);
    }

    [Fact]
    public async Task A_new_app_is_a_start_deployment_until_its_instances_run()
    {
        await StartAsync();
        _services.Add(Web("serve v1"));
        var deployment = Assert.Single(_services.Deployments());
        Assert.Equal(("/web", "StartApplication", 0, 1, 2, 0), (deployment.AppId, deployment.Action, deployment.FromVersion, deployment.ToVersion, deployment.InstancesWanted, deployment.InstancesReady));

        var tasks = await LaunchAsync(run: false);
        await ReportAsync(tasks[0], TaskState.Running);
        Assert.Equal(1, Assert.Single(_services.Deployments()).InstancesReady);
        await ReportAsync(tasks[1], TaskState.Running);

        Assert.Empty(_services.Deployments());
        Assert.Null(Assert.Single(_services.List()).Deployment);
    }

    [Fact]
    public async Task A_rolling_upgrade_shows_its_progress_and_ends_when_the_old_instances_are_gone()
    {
        await StartAsync();
        _services.Add(Web("serve v1"));
        var v1 = await LaunchAsync();
        Assert.Empty(_services.Deployments());

        _services.Update("web", Web("serve v2"));
        var upgrade = Assert.Single(_services.Deployments());
        Assert.Equal(("RestartApplication", 1, 2, 0, 2), (upgrade.Action, upgrade.FromVersion, upgrade.ToVersion, upgrade.InstancesReady, upgrade.OldInstances));

        var v2 = await LaunchAsync();
        // The new instances are ready, so the old ones are being killed: not done until they are gone.
        Assert.Equal(v1.Order(), _driver.Killed.Order());
        Assert.Equal(2, Assert.Single(_services.Deployments()).InstancesReady);
        await ConfirmKillsAsync();
        Assert.Empty(_services.Deployments());
        Assert.Equal(v2.Order(), Assert.Single(_services.List()).Tasks.Select(t => new TaskId(t.Id)).Order());
    }

    [Fact]
    public async Task A_change_while_another_deploys_is_refused_unless_forced_and_then_replaces_it()
    {
        await StartAsync();
        _services.Add(Web("serve v1"));
        var start = Assert.Single(_services.Deployments());

        var refused = Assert.Throws<ConflictException>(() => _services.Scale("web", 5));
        Assert.Contains(start.Id, refused.Message);
        Assert.Throws<ConflictException>(() => _services.Update("web", Web("serve v2")));
        Assert.Throws<ConflictException>(() => _services.Restart("web"));
        Assert.Equal(2, Assert.Single(_services.List()).Definition.Instances);

        _services.Scale("web", 5, force: true);
        var scale = Assert.Single(_services.Deployments());
        Assert.NotEqual(start.Id, scale.Id);
        Assert.Equal(("ScaleApplication", 5), (scale.Action, scale.InstancesWanted));
    }

    [Fact]
    public async Task Cancelling_an_upgrade_rolls_back_to_the_old_version_and_keeps_its_instances()
    {
        await StartAsync();
        _services.Add(Web("serve v1"));
        var v1 = await LaunchAsync();
        _services.Update("web", Web("serve v2 (never starts)"));
        var v2 = await LaunchAsync(run: false);
        Assert.Empty(_driver.Killed);
        var upgrade = Assert.Single(_services.Deployments());

        var rollback = _services.CancelDeployment(upgrade.Id);

        Assert.NotNull(rollback);
        Assert.Equal((true, 2, 1), (rollback.Rollback, rollback.FromVersion, rollback.ToVersion));
        var app = Assert.Single(_services.List());
        Assert.Equal(("serve v1", 1), (app.Definition.Cmd, app.Version));
        // The new version's instances go, the old ones stay and count again.
        Assert.Equal(v2.Order(), _driver.Killed.Order());
        await ConfirmKillsAsync();
        Assert.Empty(_services.Deployments());
        Assert.Equal(v1.Order(), Assert.Single(_services.List()).Tasks.Select(t => new TaskId(t.Id)).Order());
        Assert.Empty(await LaunchAsync());

        // The next change is version 3: a rollback never reuses the number of what it undid.
        _services.Restart("web");
        Assert.Equal(3, Assert.Single(_services.List()).Version);
        Assert.Equal([3, 2, 1], _services.Versions("web").Select(v => v.Version));
        Assert.Equal("serve v2 (never starts)", _services.Versions("web").Single(v => v.Version == 2).Definition.Cmd);
    }

    [Fact]
    public async Task Cancelling_a_start_removes_the_app_and_a_forced_cancel_only_drops_the_deployment()
    {
        await StartAsync();
        _services.Add(Web("serve v1"));
        var launched = await LaunchAsync(run: false);
        Assert.Null(_services.CancelDeployment(Assert.Single(_services.Deployments()).Id));
        Assert.Empty(_services.List());
        Assert.Equal(launched.Order(), _driver.Killed.Order());

        _services.Add(Web("serve again"));
        Assert.Null(_services.CancelDeployment(Assert.Single(_services.Deployments()).Id, force: true));
        Assert.Empty(_services.Deployments());
        Assert.Equal("serve again", Assert.Single(_services.List()).Definition.Cmd);
        Assert.Equal(2, (await LaunchAsync()).Count);
        Assert.Throws<KeyNotFoundException>(() => _services.CancelDeployment("no-such-deployment"));
    }

    [Fact]
    public async Task A_deployment_survives_a_restart_and_versions_are_kept_up_to_the_limit()
    {
        await StartAsync();
        _services.Add(Web("serve v1", instances: 1));
        await LaunchAsync();
        for (var i = 0; i < ServicesFramework.VersionsKept + 5; i++) _services.Restart("web", force: true);
        var deployment = Assert.Single(_services.Deployments());

        _services.Dispose();
        _services = new ServicesFramework(_store, _time, Optimizers.On(_time));

        Assert.Equal(deployment.Id, Assert.Single(_services.Deployments()).Id);
        var versions = _services.Versions("web");
        Assert.Equal(ServicesFramework.VersionsKept, versions.Count);
        Assert.Equal(ServicesFramework.VersionsKept + 6, versions[0].Version);
    }
}
