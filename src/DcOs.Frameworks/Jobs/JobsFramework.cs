using System.Globalization;
using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Frameworks.Internal;

namespace DcOs.Frameworks.Jobs;

/// <summary>
/// A Metronome-like framework: jobs run on demand or on a cron schedule, are retried on failure up to their limit,
/// and keep a history with exit status. Runs are placed by the SDK's optimizer with the cheapest-within-deadline
/// objective over every offer held: a run with a deadline only where its estimated duration (divided by the machine's
/// speed factor) ends before the deadline, at the lowest cost for that runtime; other runs at the lowest cost.
/// </summary>
public sealed class JobsFramework : StoredFramework, IDisposable
{
    private const string JobKind = "job";
    private const string RunKind = "run";
    private const string CountsKind = "jobcounts";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, JobDefinition> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JobRun> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JobRun> _runsByTask = new(StringComparer.Ordinal);
    // Each job's finished runs, oldest first: pruning the history beyond HistoryPerJob takes from the front.
    private readonly Dictionary<string, Queue<JobRun>> _finished = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RunCounts> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _nextScheduled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<PlacementReason, long>> _reasons = new(StringComparer.Ordinal);
    private readonly IFrameworkStore _store;
    private readonly TimeProvider _time;
    private readonly IPlacementOptimizer? _optimizer;
    private readonly ITimer _cron;
    private long _counter;

    /// <summary>
    /// A jobs framework keeping its jobs and runs in <paramref name="store"/>; schedules and deadlines are judged on
    /// <paramref name="time"/>; runs are placed by <paramref name="optimizer"/> (the SDK's cost optimizer, DcOs.Optimization's
    /// <c>PlacementOptimizer.Create</c> or <c>AddDcOsCostOptimizer()</c>, on the same clock; without one, runs wait and say why).
    /// </summary>
    public JobsFramework(IFrameworkStore store, TimeProvider time, IPlacementOptimizer? optimizer = null)
        : base(store, "jobs")
    {
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _time = time;
        _optimizer = optimizer;
        foreach (var job in store.LoadAll<JobDefinition>(JobKind)) _jobs[job.Key] = job;
        foreach (var counts in store.LoadAll<RunCounts>(CountsKind)) _counts[counts.JobKey] = counts;
        foreach (var run in store.LoadAll<JobRun>(RunKind).OrderBy(r => r.FinishedAt ?? r.CreatedAt).ThenBy(r => r.CreatedAt))
        {
            _runs[run.RunId] = run;
            if (run.TaskId is { } task) _runsByTask[task] = run;
            if (run.Status is "SUCCESS" or "FAILED") FinishedOf(run.JobId).Enqueue(run);
        }
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
        // GPU agents are offered too, for runs asking for GPUs; the planner keeps the others off them by price.
        Capabilities = FrameworkCapabilities.GpuResources,
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

    /// <summary>Every job with its latest run and how many of its runs succeeded and failed (pruned ones included).</summary>
    public IReadOnlyList<JobStatus> List()
    {
        lock (_gate)
        {
            return [.. _jobs.Values.OrderBy(j => j.Id, StringComparer.Ordinal).Select(j =>
            {
                var counts = _counts.GetValueOrDefault(j.Key);
                return new JobStatus(j, _runs.Values.Where(r => r.JobId == j.Id).OrderByDescending(r => r.CreatedAt).FirstOrDefault(), counts?.Succeeded ?? 0, counts?.Failed ?? 0);
            })];
        }
    }

    /// <summary>A job's finished runs counted, kept beside its pruned history.</summary>
    private sealed record RunCounts(string JobKey, long Succeeded, long Failed);

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
    /// <exception cref="ConflictException">The job forbids concurrent runs and one is pending or running.</exception>
    public string RunNow(string key)
    {
        string id;
        lock (_gate)
        {
            if (!_jobs.TryGetValue(Normalize(key), out var job)) throw new KeyNotFoundException($"unknown job '{key}'");
            if (job.ConcurrencyPolicy == "FORBID" && ActiveRun(job) is { } active)
                throw new ConflictException($"job '{job.Id}' forbids concurrent runs and run {active.RunId} is {active.Status}");
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

    /// <summary>The job of a task id.</summary>
    public string? JobIdOf(TaskId taskId)
    {
        lock (_gate) return _runsByTask.GetValueOrDefault(taskId.Value)?.JobId;
    }

    /// <summary>Finished runs kept per job (the oldest beyond are forgotten, in memory and in the store).</summary>
    public const int HistoryPerJob = 100;

    private JobRun? ActiveRun(JobDefinition job) =>
        _runs.Values.FirstOrDefault(r => r.JobId == job.Id && r.Status is "PENDING" or "STARTING" or "RUNNING");

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
            StartBy = job.StartingDeadlineSeconds is { } s ? now + TimeSpan.FromSeconds(s) : null,
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
                _nextScheduled[job.Key] = cron.Next(now);
                // FORBID: the previous run still goes, so this one is skipped, as Metronome does.
                if (job.ConcurrencyPolicy == "FORBID" && ActiveRun(job) is not null) continue;
                NewRun(job);
                started = true;
            }
        }
        if (started) _ = ReviveAsync();
    }

    // ---- scheduler callbacks ----

    /// <inheritdoc />
    protected override async Task PlaceAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        var now = _time.GetUtcNow();
        var batch = new OfferBatch(offers, driver.Billing);
        bool anyPending;
        lock (_gate)
        {
            var placeable = new List<(JobRun Run, JobDefinition Job)>();
            foreach (var run in _runs.Values.Where(r => r.Status == "PENDING").OrderBy(r => r.CreatedAt).ToList())
            {
                if (Placeable(run, now) is { } job) placeable.Add((run, job));
            }
            anyPending = placeable.Count > 0;
            // Only what the offers can hold is planned; the rest of a backlog waits its turn, oldest first.
            var demands = new Dictionary<JobDefinition, Resources>(ReferenceEqualityComparer.Instance);
            var runs = batch.Window(placeable, r => demands.TryGetValue(r.Job, out var d) ? d : demands[r.Job] = r.Job.Run!.Resources,
                (r, reason) => Waits(r.Run, r.Job, reason, reason.Describe(), batch));
            var launched = new List<JobRun>();
            try
            {
                PlanRuns(runs, batch, now, launched);
            }
            catch (ValidationException) when (runs.Count > 1)
            {
                // One run the planner refuses must not stop the others: each is planned alone.
                batch.PlaceEach(runs, r =>
                {
                    PlanRuns([r], batch, now, launched);
                    return true;
                }, (r, why) => r.Run.Message = why);
            }
            catch (InvalidOperationException e)
            {
                // No optimizer (a framework built to answer the API only): the runs wait and say why.
                foreach (var (run, _) in placeable) run.Message = $"cannot be placed: {e.Message}";
            }
            // Stored before launched: a restart reconciles these attempts by id rather than forgetting them.
            _store.Write([.. launched.Select(r => FrameworkStoreExtensions.Saving(RunKind, r.RunId, r))]);
            foreach (var run in launched)
            {
                // The attempt before (if any) is over: updates that still come for it find no run to change.
                if (_runs[run.RunId].TaskId is { } previous) _runsByTask.Remove(previous);
                _runs[run.RunId] = run;
                _runsByTask[run.TaskId!] = run;
            }
        }
        await batch.AnswerAsync(driver, anyPending).ConfigureAwait(false);
    }

    /// <summary>The job of a pending run that may still start; a run that may not (job removed, a deadline passed) is failed.</summary>
    private JobDefinition? Placeable(JobRun run, DateTimeOffset now)
    {
        if (!_jobs.TryGetValue(Normalize(run.JobId), out var job))
        {
            Finish(run, "FAILED", null, "the job was removed");
            return null;
        }
        if (run.Deadline is { } deadline && now >= deadline)
        {
            Finish(run, "FAILED", null, "deadline missed before the run could start");
            return null;
        }
        if (run.StartBy is { } startBy && now >= startBy)
        {
            Finish(run, "FAILED", null, $"did not start within startingDeadlineSeconds ({job.StartingDeadlineSeconds} s)");
            return null;
        }
        return job;
    }

    /// <summary>
    /// Plans the next attempt of each run with the SDK's optimizer, cheapest within deadline: a run with a deadline goes
    /// only where its estimated duration (divided by the machine's speed) ends in time, and at the least cost for that
    /// runtime; the others at the least cost. Adds the runs it launches (as they are to be stored) to <paramref name="launched"/>.
    /// </summary>
    private void PlanRuns(List<(JobRun Run, JobDefinition Job)> runs, OfferBatch batch, DateTimeOffset now, List<JobRun> launched)
    {
        var tasks = runs.Select(r => new PendingTask
        {
            Spec = TaskOf(r.Run, r.Job, r.Run.Attempts + 1),
            Duration = TimeSpan.FromSeconds(r.Job.Run!.EstimatedDurationSeconds),
            Deadline = r.Run.Deadline,
        }).ToList();
        var plan = batch.Plan(_optimizer ?? throw NoOptimizer(), tasks, PlacementObjective.CheapestWithinDeadline);
        foreach (var a in plan.Assignments)
        {
            var (run, _) = runs[a.TaskIndex];
            var task = a.OnPlannedDevices(tasks[a.TaskIndex].Spec);
            if (batch.OfferFor(a, task.Resources) is not { } offer) continue;
            batch.Launch(offer, task);
            launched.Add(run with
            {
                Attempts = run.Attempts + 1,
                Status = "STARTING",
                TaskId = task.Id.Value,
                AgentId = offer.AgentId.Value,
                CostEstimate = Math.Round(a.Cost, 6),
                Message = null,
            });
        }
        // Each reason counts once per pending run and round of offers, not once per offer looked at.
        foreach (var u in plan.Unplaced)
        {
            var (run, job) = runs[u.TaskIndex];
            Waits(run, job, u.Reason, u.Detail, batch);
        }
    }

    /// <summary>A pending run that this round of offers does not start: its reason counts once, and it says why it waits.</summary>
    private void Waits(JobRun run, JobDefinition job, PlacementReason reason, string detail, OfferBatch batch)
    {
        var reasons = _reasons.TryGetValue(job.Id, out var r) ? r : _reasons[job.Id] = [];
        reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
        batch.Reject(reason);
        run.Message = run.Deadline is null ? $"waiting for an offer with room ({detail})" : $"waiting for an offer that can finish before the deadline ({detail})";
    }

    private static TaskSpec TaskOf(JobRun run, JobDefinition job, int attempt) => new()
    {
        Id = new TaskId($"{run.RunId}.a{attempt}"),
        Name = job.Id,
        Command = CommandSpec.FromShell(job.Run!.Cmd!) with { Environment = job.Run.Env ?? new Dictionary<string, string>(), User = job.Run.User },
        Resources = job.Run.Resources,
        GpuModel = job.Run.GpuModel,
        Labels = new Dictionary<string, string> { [TaskLabels.Group] = job.Id, ["job"] = job.Id, ["run"] = run.RunId },
    };

    /// <inheritdoc />
    protected override IReadOnlyList<(TaskId TaskId, AgentId AgentId)> KnownTasks()
    {
        lock (_gate)
        {
            return [.. _runs.Values.Where(r => r.Status is "STARTING" or "RUNNING" && r.TaskId is not null)
                .Select(r => (new TaskId(r.TaskId!), r.AgentId is { } a ? new AgentId(a) : default))];
        }
    }

    /// <inheritdoc />
    public override async Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
    {
        Driver = driver;
        if (await EndsReconciliationAsync(driver, status).ConfigureAwait(false)) return;
        var retry = false;
        lock (_gate)
        {
            var run = _runsByTask.GetValueOrDefault(status.TaskId.Value);
            if (run is null || run.Status is "SUCCESS" or "FAILED") return;
            var changed = true;
            var now = _time.GetUtcNow();
            if (run.Status == "STARTING" && status.Reason == TaskStatusReason.Reconciliation && status.State is TaskState.Lost or TaskState.Gone or TaskState.Unknown)
            {
                // Stored as launching, but the master never heard of it (the process stopped between the two): it was
                // no attempt, so it neither counts against the retries nor fails the run.
                run.Status = "PENDING";
                run.Attempts--;
                run.Message = "its launch never reached the master before a restart; launching again";
                _store.Save(RunKind, run.RunId, run);
                retry = true;
            }
            else switch (status.State)
            {
                case TaskState.Starting or TaskState.Running:
                    changed = run.Status != "RUNNING";
                    run.Status = "RUNNING";
                    run.StartedAt ??= now;
                    break;
                case TaskState.Finished:
                    Finish(run, "SUCCESS", 0, status.Message);
                    changed = false;
                    break;
                default:
                    if (!status.State.IsTerminal() && status.State != TaskState.Unknown)
                    {
                        changed = false;
                        break;
                    }
                    var job = _jobs.GetValueOrDefault(Normalize(run.JobId));
                    var exit = status.ExitCode;
                    run.Signal = status.Signal;
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
                        changed = false;
                    }
                    break;
            }
            // Finish stored what it changed; a retry waits in memory and is stored with its next launch.
            if (changed && !retry) _store.Save(RunKind, run.RunId, run);
        }
        if (retry) await driver.ReviveAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a run: it, its job's counts and the oldest finished runs beyond <see cref="HistoryPerJob"/> (never this
    /// one, the newest) are written in one store write, then forgotten in memory.
    /// </summary>
    private void Finish(JobRun run, string status, int? exitCode, string? message)
    {
        run.Status = status;
        run.ExitCode = exitCode;
        run.Message = message;
        run.FinishedAt = _time.GetUtcNow();
        var key = Normalize(run.JobId);
        var counts = _counts.GetValueOrDefault(key) ?? new RunCounts(key, 0, 0);
        counts = status == "SUCCESS" ? counts with { Succeeded = counts.Succeeded + 1 } : counts with { Failed = counts.Failed + 1 };
        var finished = FinishedOf(run.JobId);
        var pruned = finished.Take(Math.Max(0, finished.Count + 1 - HistoryPerJob)).ToList();
        _store.Write([
            FrameworkStoreExtensions.Saving(RunKind, run.RunId, run),
            FrameworkStoreExtensions.Saving(CountsKind, key, counts),
            .. pruned.Select(gone => new FrameworkStoreWrite(RunKind, gone.RunId, null)),
        ]);
        _counts[key] = counts;
        finished.Enqueue(run);
        foreach (var gone in pruned)
        {
            finished.Dequeue();
            _runs.Remove(gone.RunId);
            if (gone.TaskId is { } task) _runsByTask.Remove(task);
        }
    }

    private Queue<JobRun> FinishedOf(string jobId) =>
        _finished.TryGetValue(jobId, out var queue) ? queue : _finished[jobId] = new Queue<JobRun>();

    /// <summary>Stops the schedule timer.</summary>
    public void Dispose() => _cron.Dispose();
}
