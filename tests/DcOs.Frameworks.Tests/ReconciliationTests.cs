using DcOs.Core;
using DcOs.Frameworks.Jobs;
using DcOs.Frameworks.Services;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Frameworks.Tests;

/// <summary>
/// A restarted framework does not know its running tasks until the master has answered its reconciliation: it
/// launches nothing before that, so it never starts a second set beside the first (Marathon's rule).
/// </summary>
public sealed class ReconciliationTests
{
    [Fact]
    public async Task A_restarted_services_framework_launches_only_what_reconciliation_shows_missing()
    {
        var store = FrameworkStores.InMemory();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        TaskSpec running;
        List<TaskSpec> stored;
        using (var before = new ServicesFramework(store, time, Optimizers.On(time)))
        {
            var first = new RecordingDriver();
            await before.SubscribedAsync(first, first.FrameworkId, reconnected: false);
            await first.EndReconciliationAsync(before);
            before.Add(new AppDefinition { Id = "/web", Cmd = "sleep 100", Cpus = 0.1, Mem = 32, Instances = 3 });
            await before.OffersAsync(first, [RecordingDriver.OfferOn("a1")]);
            Assert.Equal(3, first.Launched.Count());
            stored = [.. first.Launched];
            running = stored[0];
        }

        // The process restarts: the same store, a new framework instance that knows no task.
        using var after = new ServicesFramework(store, time, Optimizers.On(time));
        var driver = new RecordingDriver();
        await after.SubscribedAsync(driver, driver.FrameworkId, reconnected: false);
        // Implicit, then by id the three instances it stored before launching them, then the probe that ends it.
        Assert.Equal(3, driver.Reconciliations);
        Assert.Equal(stored.Select(t => t.Id).Order(), driver.ReconciledTasks[..^1].Order());
        Assert.Equal(3, Assert.Single(after.List()).Tasks.Count);

        // Offers before the master answered: declined, nothing launched.
        var early = RecordingDriver.OfferOn("a1");
        await after.OffersAsync(driver, [early]);
        Assert.Empty(driver.Launched);
        Assert.Contains(early.Id, driver.Declined);

        // Reconciliation reports one instance running; the master never heard of the other two (their launch was lost
        // with the process), so it answers TASK_GONE for them; then it ends.
        await after.StatusUpdateAsync(driver, new TaskStatusUpdate { TaskId = running.Id, State = TaskState.Running, AgentId = new AgentId("a1"), Reason = TaskStatusReason.Reconciliation });
        foreach (var lost in stored.Skip(1))
            await after.StatusUpdateAsync(driver, new TaskStatusUpdate { TaskId = lost.Id, State = TaskState.Gone, AgentId = new AgentId("a1"), Reason = TaskStatusReason.Reconciliation, Source = TaskStatusSource.Master });
        Assert.Single(Assert.Single(after.List()).Tasks);
        await driver.EndReconciliationAsync(after);
        Assert.True(driver.Revives > 0);
        await after.OffersAsync(driver, [RecordingDriver.OfferOn("a1")]);
        Assert.Equal(2, driver.Launched.Count());
        Assert.Equal(3, Assert.Single(after.List()).Tasks.Count);
    }

    [Fact]
    public async Task A_jobs_framework_starts_no_run_before_reconciliation_ends()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var jobs = new JobsFramework(FrameworkStores.InMemory(), clock, Optimizers.On(clock));
        var driver = new RecordingDriver();
        await jobs.SubscribedAsync(driver, driver.FrameworkId, reconnected: false);
        jobs.Add(new JobDefinition { Id = "once", Run = new JobRunSpec { Cmd = "true" } });
        jobs.RunNow("once");

        await jobs.OffersAsync(driver, [RecordingDriver.OfferOn("a1")]);
        Assert.Empty(driver.Launched);

        await driver.EndReconciliationAsync(jobs);
        await jobs.OffersAsync(driver, [RecordingDriver.OfferOn("a1")]);
        Assert.Single(driver.Launched);
    }

    [Fact]
    public async Task A_run_stored_as_starting_whose_launch_never_reached_the_master_is_launched_again_without_using_a_retry()
    {
        var store = FrameworkStores.InMemory();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        TaskSpec lost;
        using (var before = new JobsFramework(store, time, Optimizers.On(time)))
        {
            var first = new RecordingDriver();
            await before.SubscribedAsync(first, first.FrameworkId, reconnected: false);
            await first.EndReconciliationAsync(before);
            before.Add(new JobDefinition { Id = "once", Run = new JobRunSpec { Cmd = "true" } });
            before.RunNow("once");
            await before.OffersAsync(first, [RecordingDriver.OfferOn("a1")]);
            lost = Assert.Single(first.Launched);
        }

        // Restarted before the master stored the launch: the run is asked for by id, and the master does not know it.
        using var after = new JobsFramework(store, time, Optimizers.On(time));
        var driver = new RecordingDriver();
        await after.SubscribedAsync(driver, driver.FrameworkId, reconnected: false);
        Assert.Contains(lost.Id, driver.ReconciledTasks);
        await after.StatusUpdateAsync(driver, new TaskStatusUpdate { TaskId = lost.Id, State = TaskState.Lost, AgentId = new AgentId("a1"), Reason = TaskStatusReason.Reconciliation, Source = TaskStatusSource.Master });
        await driver.EndReconciliationAsync(after);

        var run = Assert.Single(after.History("once"));
        Assert.Equal("PENDING", run.Status);
        Assert.Equal(0, run.Attempts);
        await after.OffersAsync(driver, [RecordingDriver.OfferOn("a1")]);
        Assert.Equal(lost.Id, Assert.Single(driver.Launched).Id);
        Assert.Equal("STARTING", Assert.Single(after.History("once")).Status);
    }
}
