using DcOs.Core;
using DcOs.Frameworks.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Frameworks.Tests;

/// <summary>Metronome's run semantics in the jobs framework, on fake time with a recording driver.</summary>
public sealed class JobsTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 30, TimeSpan.Zero));
    private readonly RecordingDriver _driver = new();
    private readonly IFrameworkStore _store = FrameworkStores.InMemory();
    private readonly JobsFramework _jobs;

    public JobsTests() => _jobs = new JobsFramework(_store, _time, Optimizers.On(_time));

    public void Dispose() => _jobs.Dispose();

    private async Task StartAsync()
    {
        await _jobs.SubscribedAsync(_driver, _driver.FrameworkId, reconnected: false);
        await _driver.EndReconciliationAsync(_jobs);
    }

    private Task EndAsync(TaskSpec task, TaskState state, int? exitCode = null, int? signal = null) => _jobs.StatusUpdateAsync(_driver, new TaskStatusUpdate
    {
        TaskId = task.Id, State = state, ExitCode = exitCode, Signal = signal, AgentId = new AgentId("a1"), UpdateId = Guid.NewGuid(),
    });

    [Fact]
    public async Task A_forbid_job_never_runs_twice_at_once_neither_scheduled_nor_asked()
    {
        await StartAsync();
        _jobs.Add(new JobDefinition { Id = "report", Run = new JobRunSpec { Cmd = "sleep 300" }, Schedule = "* * * * *", ConcurrencyPolicy = "FORBID" });
        // The minute turns: the first scheduled run (in steps: a fake clock fires a periodic timer once per advance).
        for (var i = 0; i < 9; i++) _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Single(_jobs.History("report"));
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:2;mem:2048")]);
        var first = Assert.Single(_driver.Launched);

        Assert.Throws<ConflictException>(() => _jobs.RunNow("report"));
        for (var i = 0; i < 36; i++) _time.Advance(TimeSpan.FromSeconds(5)); // three more due times while it runs: all skipped
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:2;mem:2048")]);
        Assert.Single(_driver.Launched);
        Assert.Single(_jobs.History("report"));

        await EndAsync(first, TaskState.Finished, exitCode: 0);
        _jobs.RunNow("report");
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:2;mem:2048")]);
        Assert.Equal(2, _driver.Launched.Count());
    }

    [Fact]
    public async Task A_run_that_cannot_start_within_its_starting_deadline_fails_instead_of_starting_late()
    {
        await StartAsync();
        _jobs.Add(new JobDefinition { Id = "big", Run = new JobRunSpec { Cmd = "true", Cpus = 8 }, StartingDeadlineSeconds = 60 });
        _jobs.RunNow("big");
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:2;mem:2048")]);
        Assert.Equal("PENDING", Assert.Single(_jobs.History("big")).Status);

        _time.Advance(TimeSpan.FromSeconds(61));
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:16;mem:2048")]);
        var run = Assert.Single(_jobs.History("big"));
        Assert.Equal("FAILED", run.Status);
        Assert.Contains("startingDeadlineSeconds", run.Message);
        Assert.Empty(_driver.Launched);
    }

    [Fact]
    public async Task History_is_pruned_per_job_the_counts_cover_every_run_and_the_signal_comes_from_the_status()
    {
        await StartAsync();
        _jobs.Add(new JobDefinition { Id = "tick", Run = new JobRunSpec { Cmd = "true", Cpus = 0.01, Mem = 1 } });
        for (var i = 0; i < JobsFramework.HistoryPerJob + 19; i++) _jobs.RunNow("tick");
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:4;mem:4096")]);
        foreach (var task in _driver.Launched.ToList()) await EndAsync(task, TaskState.Finished, exitCode: 0);
        _time.Advance(TimeSpan.FromSeconds(1));
        _jobs.RunNow("tick");
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:4;mem:4096")]);
        Assert.Equal(JobsFramework.HistoryPerJob + 20, _driver.Launched.Count());
        await EndAsync(_driver.Launched.Last(), TaskState.Killed, signal: 9);

        Assert.Equal(JobsFramework.HistoryPerJob, _jobs.History("tick").Count);
        var status = Assert.Single(_jobs.List());
        Assert.Equal(JobsFramework.HistoryPerJob + 19, status.SuccessCount);
        Assert.Equal(1, status.FailureCount);
        Assert.Equal(9, status.LastRun!.Signal);
        Assert.Equal(JobsFramework.HistoryPerJob, _store.All("run").Count);
        // Rejections count once per pending run and round, not per offer looked at.
        _jobs.Add(new JobDefinition { Id = "huge", Run = new JobRunSpec { Cmd = "true", Cpus = 64 } });
        _jobs.RunNow("huge");
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:2;mem:2048"), RecordingDriver.OfferOn("a2", "cpus:2;mem:2048"), RecordingDriver.OfferOn("a3", "cpus:2;mem:2048")]);
        Assert.Equal(1, Assert.Single(_jobs.Pending()).Reasons[PlacementReason.InsufficientCpus]);
    }

    [Fact]
    public async Task A_backlog_larger_than_the_offers_is_planned_only_as_far_as_they_reach_oldest_first()
    {
        await StartAsync();
        _jobs.Add(new JobDefinition { Id = "small", Run = new JobRunSpec { Cmd = "true", Cpus = 0.5, Mem = 16 } });
        var ids = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            ids.Add(_jobs.RunNow("small"));
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
        // 2 + 1 cpus hold six runs: those six are the oldest, and the other 44 wait for room, each counted once.
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:2;mem:2048"), RecordingDriver.OfferOn("a2", "cpus:1;mem:2048")]);
        Assert.Equal(ids.Take(6).Order(), _driver.Launched.Select(t => t.Labels["run"]).Order());
        var pending = Assert.Single(_jobs.Pending());
        Assert.Equal(44, pending.Waiting);
        Assert.Equal(44, pending.Reasons[PlacementReason.CapacityExhausted]);
        Assert.Contains("capacity", pending.Summary, StringComparison.OrdinalIgnoreCase);

        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a3", "cpus:1;mem:2048")]);
        Assert.Equal(ids.Take(8).Order(), _driver.Launched.Select(t => t.Labels["run"]).Order());
        Assert.Equal(44 + 42, Assert.Single(_jobs.Pending()).Reasons[PlacementReason.CapacityExhausted]);
    }

    [Fact]
    public async Task An_update_for_an_attempt_that_was_already_retried_changes_nothing()
    {
        await StartAsync();
        _jobs.Add(new JobDefinition { Id = "flaky", Run = new JobRunSpec { Cmd = "true", MaxRetries = 1 } });
        _jobs.RunNow("flaky");
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:2;mem:2048")]);
        var first = Assert.Single(_driver.Launched);
        await EndAsync(first, TaskState.Failed, exitCode: 1);
        await _jobs.OffersAsync(_driver, [RecordingDriver.OfferOn("a1", "cpus:2;mem:2048")]);
        var second = _driver.Launched.Last();
        Assert.NotEqual(first.Id, second.Id);

        // A late (or lying) report about the first attempt: the run is on its second, which has not ended.
        await EndAsync(first, TaskState.Finished, exitCode: 0);
        var status = Assert.Single(_jobs.List());
        Assert.Equal(0, status.SuccessCount);
        Assert.Equal("STARTING", status.LastRun!.Status);

        await EndAsync(second, TaskState.Finished, exitCode: 0);
        status = Assert.Single(_jobs.List());
        Assert.Equal((1, 0), (status.SuccessCount, status.FailureCount));
        Assert.Equal("SUCCESS", status.LastRun!.Status);
        Assert.Equal(2, status.LastRun.Attempts);
    }
}
