using System.Globalization;
using DcOs.Core;
using DcOs.Framework;
using DcOs.Frameworks.Internal;

namespace DcOs.Frameworks.Jobs;

/// <summary>
/// A Metronome-like framework: jobs run on demand or on a cron schedule, are retried on failure up to their limit,
/// and keep a history with exit status. A run with a deadline is placed with the cheapest-within-deadline objective:
/// among offers whose machine finishes the estimated duration (divided by its speed factor) before the deadline, the
/// one with the lowest cost for that runtime; other runs go to the cheapest offer.
/// </summary>
public sealed class JobsFramework : StoredFramework, IDisposable
{
    private const string JobKind = "job";
    private const string RunKind = "run";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, JobDefinition> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JobRun> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _nextScheduled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<PlacementReason, long>> _reasons = new(StringComparer.Ordinal);
    private readonly IFrameworkStore _store;
    private readonly TimeProvider _time;
    private readonly ITimer _cron;
    private long _counter;

    /// <summary>A jobs framework keeping its jobs and runs in <paramref name="store"/>; schedules are checked on <paramref name="time"/>.</summary>
    public JobsFramework(IFrameworkStore store, TimeProvider time)
        : base(store, "jobs")
    {
        _store = store;
        _time = time;
        foreach (var job in store.LoadAll<JobDefinition>(JobKind)) _jobs[job.Key] = job;
        foreach (var run in store.LoadAll<JobRun>(RunKind)) _runs[run.RunId] = run;
        _counter = _runs.Count;
        _cron = time.CreateTimer(_ => CheckSchedules(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
    }

    /// <summary>The framework's registration: name "jobs", role "*", a week of failover, with <paramref name="id"/> when it has one.</summary>
    public static FrameworkInfo Info(FrameworkId id) => new()
    {
        Id = id,
        Name = "jobs",
        Roles = ["*"],
        FailoverTimeout = TimeSpan.FromDays(7),
    };

    // ---- the HTTP API's operations ----

    /// <summary>Adds a job (checked with <see cref="JobDefinition.Validate"/>); it is stored before it is known.</summary>
    public JobDefinition Add(JobDefinition job)
    {
        job.Validate();
        lock (_gate)
        {
            if (_jobs.ContainsKey(job.Key)) throw new ConflictException($"job '{job.Id}' already exists");
            _store.Save(JobKind, job.Key, job);
            _jobs[job.Key] = job;
        }
        return job;
    }

    /// <summary>Removes a job; its history stays.</summary>
    public void Remove(string key)
    {
        lock (_gate)
        {
            if (!_jobs.ContainsKey(Normalize(key))) throw new KeyNotFoundException($"unknown job '{key}'");
            _store.Delete(JobKind, Normalize(key));
            _jobs.Remove(Normalize(key));
        }
    }

    /// <summary>Every job with its latest run.</summary>
    public IReadOnlyList<(JobDefinition Job, JobRun? LastRun)> List()
    {
        lock (_gate)
        {
            return [.. _jobs.Values.OrderBy(j => j.Id, StringComparer.Ordinal)
                .Select(j => (j, _runs.Values.Where(r => r.JobId == j.Id).OrderByDescending(r => r.CreatedAt).FirstOrDefault()))];
        }
    }

    /// <summary>A job by id, or null.</summary>
    public JobDefinition? Get(string key)
    {
        lock (_gate) return _jobs.GetValueOrDefault(Normalize(key));
    }

    /// <summary>The runs of a job, newest first.</summary>
    public IReadOnlyList<JobRun> History(string key)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(Normalize(key), out var job)) throw new KeyNotFoundException($"unknown job '{key}'");
            return [.. _runs.Values.Where(r => r.JobId == job.Id).OrderByDescending(r => r.CreatedAt).Select(r => r with { })];
        }
    }

    /// <summary>Starts a run now; returns its id.</summary>
    public string RunNow(string key)
    {
        string id;
        lock (_gate)
        {
            if (!_jobs.TryGetValue(Normalize(key), out var job)) throw new KeyNotFoundException($"unknown job '{key}'");
            id = NewRun(job).RunId;
        }
        _ = ReviveAsync();
        return id;
    }

    /// <summary>Jobs with runs waiting to launch, and why (counts per reason over the offers tried).</summary>
    public IReadOnlyList<(string JobId, int Waiting, IReadOnlyDictionary<PlacementReason, long> Reasons, string? Summary)> Pending()
    {
        lock (_gate)
        {
            return [.. _runs.Values.Where(r => r.Status == "PENDING").GroupBy(r => r.JobId)
                .Select(g => (g.Key, g.Count(), (IReadOnlyDictionary<PlacementReason, long>)new Dictionary<PlacementReason, long>(_reasons.GetValueOrDefault(g.Key) ?? []), g.First().Message))];
        }
    }

    /// <summary>The job of a task id, from the run id in it.</summary>
    public string? JobIdOf(TaskId taskId)
    {
        lock (_gate) return _runs.Values.FirstOrDefault(r => r.TaskId == taskId.Value)?.JobId;
    }

    private static string Normalize(string key) => key.Trim('/').Replace('/', '_');

    private JobRun NewRun(JobDefinition job)
    {
        var now = _time.GetUtcNow();
        var run = new JobRun
        {
            RunId = string.Create(CultureInfo.InvariantCulture, $"{job.Key}.{now:yyyyMMddHHmmss}{Interlocked.Increment(ref _counter):D4}"),
            JobId = job.Id,
            CreatedAt = now,
            Deadline = job.Run!.DeadlineSeconds is { } d ? now + TimeSpan.FromSeconds(d) : null,
        };
        _store.Save(RunKind, run.RunId, run);
        _runs[run.RunId] = run;
        return run;
    }

    private void CheckSchedules()
    {
        var now = _time.GetUtcNow();
        var started = false;
        lock (_gate)
        {
            foreach (var job in _jobs.Values.Where(j => j.Schedule is not null))
            {
                var cron = CronSchedule.Parse(job.Schedule!);
                if (!_nextScheduled.TryGetValue(job.Key, out var next)) _nextScheduled[job.Key] = next = cron.Next(now);
                if (next > now) continue;
                NewRun(job);
                _nextScheduled[job.Key] = cron.Next(now);
                started = true;
            }
        }
        if (started) _ = ReviveAsync();
    }

    // ---- scheduler callbacks ----

    /// <inheritdoc />
    public override async Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        Driver = driver;
        if (!Reconciled)
        {
            await DeclineUntilReconciledAsync(driver, offers).ConfigureAwait(false);
            return;
        }
        var now = _time.GetUtcNow();
        var batch = new OfferBatch(offers);
        var anyPending = false;
        lock (_gate)
        {
            foreach (var run in _runs.Values.Where(r => r.Status == "PENDING").OrderBy(r => r.CreatedAt).ToList())
            {
                try
                {
                    anyPending |= Place(run, offers, batch, now);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One run that cannot be placed must not stop the others: it says why, the rest go on.
                    run.Message = $"cannot be placed: {e.Message}";
                    anyPending = true;
                }
            }
        }
        await batch.AnswerAsync(driver, anyPending).ConfigureAwait(false);
    }

    /// <summary>Launches the run on the cheapest offer that can finish it in time; true while it is still pending.</summary>
    private bool Place(JobRun run, IReadOnlyList<Offer> offers, OfferBatch batch, DateTimeOffset now)
    {
        if (!_jobs.TryGetValue(Normalize(run.JobId), out var job))
        {
            Finish(run, "FAILED", null, "the job was removed");
            return false;
        }
        var spec = job.Run!;
        var estimated = TimeSpan.FromSeconds(spec.EstimatedDurationSeconds);
        if (run.Deadline is { } deadline && now >= deadline)
        {
            Finish(run, "FAILED", null, "deadline missed before the run could start");
            return false;
        }
        var reasons = _reasons.TryGetValue(job.Id, out var r) ? r : _reasons[job.Id] = [];
        Offer? best = null;
        double bestCost = double.MaxValue;
        foreach (var offer in offers)
        {
            if (!batch.Remaining(offer).Contains(spec.Resources))
            {
                Count(OfferMatcher.ShortOf(spec.Resources, batch.Remaining(offer)), reasons, batch);
                continue;
            }
            var runtime = offer.Cost.RuntimeFor(estimated);
            if (run.Deadline is { } d && now + runtime > d)
            {
                // Too slow to finish in time: the cheap slow machine is passed over only when the deadline demands it.
                Count(PlacementReason.Constraint, reasons, batch);
                continue;
            }
            var cost = offer.Cost.TaskCost(spec.Resources, offer.AgentTotal, estimated);
            if (cost < bestCost || (cost == bestCost && best is not null && string.CompareOrdinal(offer.AgentId.Value, best.AgentId.Value) < 0))
            {
                best = offer;
                bestCost = cost;
            }
        }
        if (best is null)
        {
            run.Message = run.Deadline is null ? "waiting for an offer with room" : "waiting for an offer that can finish before the deadline";
            return true;
        }
        run.Attempts++;
        var taskId = new TaskId($"{run.RunId}.a{run.Attempts}");
        var task = new TaskSpec
        {
            Id = taskId,
            Name = job.Id,
            Command = CommandSpec.FromShell(spec.Cmd!) with { Environment = spec.Env ?? new Dictionary<string, string>(), User = spec.User },
            Resources = spec.Resources,
            Labels = new Dictionary<string, string> { [TaskLabels.Group] = job.Id, ["job"] = job.Id, ["run"] = run.RunId },
        };
        batch.Launch(best, task);
        run.Status = "STARTING";
        run.TaskId = taskId.Value;
        run.AgentId = best.AgentId.Value;
        run.CostEstimate = Math.Round(bestCost, 6);
        run.Message = null;
        _store.Save(RunKind, run.RunId, run);
        return true;
    }

    private static void Count(PlacementReason reason, Dictionary<PlacementReason, long> perJob, OfferBatch batch)
    {
        perJob[reason] = perJob.GetValueOrDefault(reason) + 1;
        batch.Reject(reason);
    }

    /// <inheritdoc />
    public override async Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
    {
        Driver = driver;
        if (await EndsReconciliationAsync(driver, status).ConfigureAwait(false)) return;
        var retry = false;
        lock (_gate)
        {
            var run = _runs.Values.FirstOrDefault(r => r.TaskId == status.TaskId.Value);
            if (run is null || run.Status is "SUCCESS" or "FAILED") return;
            var now = _time.GetUtcNow();
            switch (status.State)
            {
                case TaskState.Starting or TaskState.Running:
                    run.Status = "RUNNING";
                    run.StartedAt ??= now;
                    break;
                case TaskState.Finished:
                    Finish(run, "SUCCESS", 0, status.Message);
                    break;
                default:
                    if (!status.State.IsTerminal()) break;
                    var job = _jobs.GetValueOrDefault(Normalize(run.JobId));
                    var exit = status.ExitCode;
                    if (job is not null && run.Attempts <= job.Run!.MaxRetries && (run.Deadline is null || now < run.Deadline))
                    {
                        run.Status = "PENDING";
                        run.ExitCode = exit;
                        run.Message = $"attempt {run.Attempts} ended {status.State.MesosName()}: {status.Message}; retrying";
                        retry = true;
                    }
                    else
                    {
                        Finish(run, "FAILED", exit, $"{status.State.MesosName()}: {status.Message}");
                    }
                    break;
            }
            _store.Save(RunKind, run.RunId, run);
        }
        if (retry) await driver.ReviveAsync().ConfigureAwait(false);
    }

    private void Finish(JobRun run, string status, int? exitCode, string? message)
    {
        run.Status = status;
        run.ExitCode = exitCode;
        run.Message = message;
        run.FinishedAt = _time.GetUtcNow();
        _store.Save(RunKind, run.RunId, run);
    }

    /// <summary>Stops the schedule timer.</summary>
    public void Dispose() => _cron.Dispose();
}
