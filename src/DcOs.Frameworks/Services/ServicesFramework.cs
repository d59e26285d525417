using System.Globalization;
using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Frameworks.Internal;

namespace DcOs.Frameworks.Services;

/// <summary>
/// A Marathon-like framework: keeps each app's wanted number of instances running, restarts failed ones with
/// exponential backoff, scales, restarts and upgrades apps rolling (honouring minimumHealthCapacity and
/// maximumOverCapacity), and places instances on the offer that best fits the app's cost objective:
/// cheapest (lowest price per hour of the instance on that agent), fastest (highest speed factor) or pack (the
/// offer with the least room left, so whole machines stay free). Apps are stored, so they survive a restart; tasks
/// are recovered by reconciliation with the master (an app's key and version are in every task id).
/// </summary>
public sealed class ServicesFramework : StoredFramework, IDisposable
{
    /// <summary>The store kind of apps.</summary>
    public const string Kind = "app";

    /// <summary>The store kind of instances: one per task launched and not yet seen ending.</summary>
    private const string InstanceKind = "instance";

    /// <summary>A task that ran at least this long resets its app's launch backoff when it ends.</summary>
    private static readonly TimeSpan BackoffReset = TimeSpan.FromSeconds(60);

    /// <summary>How often apps are looked over for what time changes: unreachable instances to replace or give up on.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, AppState> _apps = new(StringComparer.Ordinal);
    private readonly IFrameworkStore _store;
    private readonly TimeProvider _time;
    private readonly IPlacementOptimizer? _optimizer;
    private readonly ITimer _sweep;

    /// <summary>Instances given up on after being unreachable too long: killed if they ever report again.</summary>
    private readonly HashSet<TaskId> _expunged = [];

    /// <summary>
    /// A services framework keeping its apps and instances in <paramref name="store"/>; backoffs run on
    /// <paramref name="time"/>; instances are placed by <paramref name="optimizer"/> (the SDK's cost optimizer, DcOs.Optimization's
    /// <c>PlacementOptimizer.Create</c> or <c>AddDcOsCostOptimizer()</c>; without one, a framework that only answers the
    /// API for stored apps, and which places nothing: its apps say so).
    /// </summary>
    public ServicesFramework(IFrameworkStore store, TimeProvider time, IPlacementOptimizer? optimizer = null)
        : base(store, "services")
    {
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _time = time;
        _optimizer = optimizer;
        foreach (var saved in store.LoadAll<SavedApp>(Kind))
        {
            _apps[saved.Definition.Key] = new AppState(saved.Definition, saved.Version)
            {
                Latest = Math.Max(saved.Latest, saved.Version),
                Deployment = saved.Deployment,
            };
        }
        // Instances launched before a restart: counted at once (so nothing is launched twice) and reconciled by id.
        foreach (var saved in store.LoadAll<SavedInstance>(InstanceKind))
        {
            if (!_apps.TryGetValue(saved.App, out var app)) continue;
            var id = new TaskId(saved.TaskId);
            app.Tasks[id] = new AppTask(id, saved.Version, new AgentId(saved.AgentId), saved.Target()) { Ports = saved.Ports };
        }
        _sweep = time.CreateTimer(_ => Converge(), null, SweepInterval, SweepInterval);
    }

    /// <summary>Stops looking over the apps (the framework's host is stopping).</summary>
    public void Dispose() => _sweep.Dispose();

    /// <summary>The framework's registration: name "services", role "*", partition-aware, a week of failover, with <paramref name="id"/> when it has one.</summary>
    public static FrameworkInfo Info(FrameworkId id) => new()
    {
        Id = id,
        Name = "services",
        Roles = ["*"],
        FailoverTimeout = TimeSpan.FromDays(7),
        // GPU agents are offered too: apps may ask for GPUs (shares of a device or whole ones), and the planner keeps
        // cpu-only apps off dear GPU machines by their price rather than by hiding those machines.
        Capabilities = FrameworkCapabilities.PartitionAware | FrameworkCapabilities.GpuResources,
    };

    /// <summary>An app as stored: its definition, the version it runs, the highest version it ever had, its deployment.</summary>
    private sealed record SavedApp(AppDefinition Definition, int Version, int Latest = 0, SavedDeployment? Deployment = null);

    /// <summary>A deployment as stored with its app; <see cref="From"/> is what a cancel rolls back to (null: a new app).</summary>
    private sealed record SavedDeployment(string Id, string Action, int FromVersion, int ToVersion, AppDefinition? From, bool Rollback, DateTimeOffset CreatedAt);

    /// <summary>A version of an app, stored beside it (kind <see cref="VersionKind"/>, id "key/0000000007").</summary>
    private sealed record SavedVersion(string App, int Version, DateTimeOffset CreatedAt, AppDefinition Definition);

    /// <summary>The store kind of app versions.</summary>
    private const string VersionKind = "appversion";

    /// <summary>Versions kept per app; older ones are forgotten.</summary>
    public const int VersionsKept = 50;

    private static string VersionId(string key, int version) => string.Create(CultureInfo.InvariantCulture, $"{key}/{version:D10}");

    /// <summary>
    /// An instance as stored before its launch: enough to count it and reconcile it after a restart, and where it runs
    /// (hostname, fault domain, attributes), so the constraints of its app hold from the first round after a restart,
    /// even when its agent has nothing left to offer. <paramref name="Attributes"/> holds their text values; null in
    /// instances stored before they were kept (their agent's next offer tells).
    /// </summary>
    private sealed record SavedInstance(
        string TaskId, string App, int Version, string AgentId, string Hostname, IReadOnlyList<ulong> Ports,
        string? Region = null, string? Zone = null, IReadOnlyDictionary<string, string>? Attributes = null)
    {
        public static SavedInstance Of(AppState app, AppTask task) =>
            new(task.Id.Value, app.Definition.Key, task.Version, task.Agent.Value, task.Target.Hostname, task.Ports,
                task.Target.Region, task.Target.Zone, task.Target.Attributes.ToDictionary(a => a.Key, a => a.Value.Text, StringComparer.Ordinal));

        public IPlacementTarget Target() => Attributes is null
            ? new UnknownTarget(Hostname)
            : new StoredTarget(Hostname, Region, Zone, Core.Attributes.FromText(Attributes));
    }

    /// <inheritdoc />
    protected override IReadOnlyList<(TaskId TaskId, AgentId AgentId)> KnownTasks()
    {
        lock (_gate) return [.. _apps.Values.SelectMany(a => a.Tasks.Values).Select(t => (t.Id, t.Agent))];
    }

    private sealed class AppState(AppDefinition definition, int version)
    {
        public AppDefinition Definition { get; set; } = definition;
        public int Version { get; set; } = version;
        /// <summary>The highest version the app ever had: a new version is one above, even after a rollback went below.</summary>
        public int Latest { get; set; } = version;
        public SavedDeployment? Deployment { get; set; }
        public Dictionary<TaskId, AppTask> Tasks { get; } = [];
        public TimeSpan? Backoff { get; set; }
        public DateTimeOffset NextLaunch { get; set; }
        public Dictionary<PlacementReason, long> Reasons { get; } = [];
        public int Waiting { get; set; }
        public string? Summary { get; set; }
        public bool Removed { get; set; }
    }

    private sealed class AppTask(TaskId id, int version, AgentId agent, IPlacementTarget target)
    {
        public TaskId Id { get; } = id;
        public int Version { get; } = version;
        public AgentId Agent { get; set; } = agent;
        public IPlacementTarget Target { get; set; } = target;
        public TaskState State { get; set; } = TaskState.Staging;
        public bool? Healthy { get; set; }
        public bool KillRequested { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? UnreachableSince { get; set; }
        public IReadOnlyList<ulong> Ports { get; init; } = [];
        public bool Active => !State.IsTerminal();

        /// <summary>Being moved (consolidation): the hostname its replacement is pinned to.</summary>
        public string? MoveTo { get; set; }

        /// <summary>The replacement launched for the move, while it lives.</summary>
        public TaskId? Replacement { get; set; }

        /// <summary>Replacements tried for the move (it is given up after <see cref="MoveAttempts"/>).</summary>
        public int MoveTries { get; set; }

        /// <summary>For a replacement: the instance it replaces.</summary>
        public TaskId? Replaces { get; init; }
    }

    private static TimeSpan InactiveAfter(AppDefinition d) => TimeSpan.FromSeconds(d.UnreachableStrategy?.InactiveAfterSeconds ?? 300);

    private static TimeSpan ExpungeAfter(AppDefinition d) => TimeSpan.FromSeconds(d.UnreachableStrategy?.ExpungeAfterSeconds ?? 600);

    /// <summary>
    /// Whether an instance counts toward the wanted number: running or on its way, not being killed, and not unreachable
    /// for longer than the app's inactiveAfterSeconds (then a replacement is launched, as Marathon does).
    /// </summary>
    private static bool Counts(AppTask t, AppDefinition d, DateTimeOffset now) =>
        t.Active && !t.KillRequested && !(t.UnreachableSince is { } since && now - since >= InactiveAfter(d));

    /// <summary>Where an instance runs when only its hostname is known: its agent's next offer replaces it.</summary>
    private sealed record UnknownTarget(string Hostname) : IPlacementTarget
    {
        public string? Region => null;
        public string? Zone => null;
        public Attributes Attributes => Attributes.Empty;
    }

    /// <summary>Where an instance runs, as stored with it.</summary>
    private sealed record StoredTarget(string Hostname, string? Region, string? Zone, Attributes Attributes) : IPlacementTarget;

    // ---- the HTTP API's operations ----

    /// <summary>Adds an app (checked with <see cref="AppDefinition.Validate"/>); it is stored before it is known, then launched.</summary>
    public AppView Add(AppDefinition definition)
    {
        definition.Validate();
        CheckUpgradeStrategy(definition);
        lock (_gate)
        {
            if (_apps.ContainsKey(definition.Key)) throw new ConflictException($"app '{definition.Id}' already exists");
            var app = new AppState(definition, 1) { Deployment = NewDeployment("StartApplication", 0, 1, null) };
            Save(app, withVersion: true);
            _apps[definition.Key] = app;
        }
        _ = ReviveAsync();
        return Get(definition.Key)!;
    }

    /// <summary>
    /// Replaces an app's definition: a new version, rolled out as its upgrade strategy allows (a deployment). While
    /// another deployment of the app runs, refused (<see cref="ConflictException"/>) unless <paramref name="force"/>,
    /// which replaces it, as Marathon's <c>?force=true</c>.
    /// </summary>
    public AppView Update(string key, AppDefinition definition, bool force = false)
    {
        definition.Validate();
        CheckUpgradeStrategy(definition);
        lock (_gate)
        {
            var app = Find(key);
            if (definition.Key != app.Definition.Key) throw new ValidationException("id", $"the body's id '{definition.Id}' is not the app '{app.Definition.Id}'");
            CheckLock(app, force);
            Change(app, definition, app.Latest + 1, "RestartApplication");
        }
        Converge();
        return Get(key)!;
    }

    /// <summary>Changes an app's instance count (a deployment; locked as <see cref="Update"/> is).</summary>
    public AppView Scale(string key, int instances, bool force = false)
    {
        if (instances < 0) throw new ValidationException("instances", $"must not be negative (got {instances})");
        if (instances > AppDefinition.MaxInstances) throw new ValidationException("instances", $"must be at most {AppDefinition.MaxInstances} (got {instances})");
        lock (_gate)
        {
            var app = Find(key);
            CheckLock(app, force);
            Change(app, app.Definition with { Instances = instances }, app.Version, "ScaleApplication");
        }
        Converge();
        return Get(key)!;
    }

    /// <summary>Replaces every instance with a new one (a new version), rolling (a deployment; locked as <see cref="Update"/> is).</summary>
    public AppView Restart(string key, bool force = false)
    {
        lock (_gate)
        {
            var app = Find(key);
            CheckLock(app, force);
            Change(app, app.Definition, app.Latest + 1, "RestartApplication");
        }
        Converge();
        return Get(key)!;
    }

    /// <summary>
    /// Cancels a deployment. Without <paramref name="force"/>, rolls back (Marathon's <c>DELETE /v2/deployments/{id}</c>):
    /// the app goes back to its definition and version from before, in a new deployment that is returned (the old
    /// instances count again and the new ones are killed); a cancelled start removes the app (null is returned). With
    /// <paramref name="force"/>, only forgets the deployment: the app keeps its new definition and converges to it.
    /// </summary>
    public DeploymentView? CancelDeployment(string deploymentId, bool force = false)
    {
        string? remove = null;
        string? rollbackId = null;
        lock (_gate)
        {
            var app = _apps.Values.FirstOrDefault(a => a.Deployment?.Id == deploymentId) ?? throw new KeyNotFoundException($"unknown deployment '{deploymentId}'");
            var cancelled = app.Deployment!;
            if (force)
            {
                SaveWith(app, app.Definition, app.Version, deployment: null);
                app.Deployment = null;
                return null;
            }
            if (cancelled.From is null) remove = app.Definition.Key;
            else
            {
                var rollback = NewDeployment(cancelled.Action, app.Version, cancelled.FromVersion, app.Definition) with { Rollback = true };
                SaveWith(app, cancelled.From, cancelled.FromVersion, rollback);
                app.Definition = cancelled.From;
                app.Version = cancelled.FromVersion;
                app.Deployment = rollback;
                rollbackId = rollback.Id;
            }
        }
        if (remove is not null)
        {
            Remove(remove);
            return null;
        }
        Converge();
        return Deployments().FirstOrDefault(d => d.Id == rollbackId);
    }

    /// <summary>The deployments under way, oldest first.</summary>
    public IReadOnlyList<DeploymentView> Deployments()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            return [.. _apps.Values.Where(a => a.Deployment is not null).OrderBy(a => a.Deployment!.CreatedAt).ThenBy(a => a.Definition.Key, StringComparer.Ordinal).Select(a => DeploymentOf(a, now)!)];
        }
    }

    /// <summary>The versions kept of an app (at most <see cref="VersionsKept"/>), newest first.</summary>
    public IReadOnlyList<AppVersion> Versions(string key)
    {
        string appKey;
        int latest;
        lock (_gate)
        {
            var app = Find(key);
            (appKey, latest) = (app.Definition.Key, app.Latest);
        }
        // At most the last VersionsKept numbers exist (older ones were deleted as newer came): point reads, newest first.
        var kept = new List<AppVersion>();
        for (var v = latest; v > Math.Max(0, latest - VersionsKept); v--)
        {
            if (_store.Load<SavedVersion>(VersionKind, VersionId(appKey, v)) is { } saved) kept.Add(new AppVersion(saved.Version, saved.CreatedAt, saved.Definition));
        }
        return kept;
    }

    /// <summary>Removes an app and kills its instances.</summary>
    public void Remove(string key)
    {
        List<(TaskId, AgentId)> kills;
        lock (_gate)
        {
            var app = Find(key);
            var k = app.Definition.Key;
            _store.Write([
                new FrameworkStoreWrite(Kind, k, null),
                .. app.Tasks.Keys.Select(id => new FrameworkStoreWrite(InstanceKind, id.Value, null)),
                .. Enumerable.Range(Math.Max(1, app.Latest - VersionsKept + 1), Math.Min(app.Latest, VersionsKept)).Select(v => new FrameworkStoreWrite(VersionKind, VersionId(k, v), null)),
            ]);
            app.Removed = true;
            _apps.Remove(k);
            kills = [.. app.Tasks.Values.Where(t => t.Active).Select(t => (t.Id, t.Agent))];
        }
        _ = KillAsync(kills);
    }

    /// <summary>Every app, by id.</summary>
    public IReadOnlyList<AppView> List()
    {
        lock (_gate) return [.. _apps.Values.OrderBy(a => a.Definition.Id, StringComparer.Ordinal).Select(View)];
    }

    /// <summary>An app by id ("/team/web" or "team/web"), or null.</summary>
    public AppView? Get(string key)
    {
        lock (_gate) return _apps.TryGetValue(key.Trim('/').Replace('/', '_'), out var app) ? View(app) : null;
    }

    /// <summary>Apps with instances waiting to launch, and why (counts per reason over the offers tried).</summary>
    public IReadOnlyList<(string AppId, int Waiting, IReadOnlyDictionary<PlacementReason, long> Reasons, string? Summary)> Pending()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            return [.. _apps.Values.Select(a => (App: a, Waiting: Math.Max(0, Need(a, now)))).Where(x => x.Waiting > 0)
                .Select(x => (x.App.Definition.Id, x.Waiting, (IReadOnlyDictionary<PlacementReason, long>)new Dictionary<PlacementReason, long>(x.App.Reasons),
                    x.App.Summary ?? (x.App.Reasons.Count == 0 ? $"{x.Waiting} instance(s) waiting: no offer seen yet (no agent with free resources?)" : null)))];
        }
    }

    /// <summary>The app of a task id, from the key in it.</summary>
    public string? AppIdOf(TaskId taskId)
    {
        var key = KeyOf(taskId);
        lock (_gate) return key is not null && _apps.TryGetValue(key, out var app) ? app.Definition.Id : null;
    }

    private AppState Find(string key) =>
        _apps.TryGetValue(key.Trim('/').Replace('/', '_'), out var app) ? app : throw new KeyNotFoundException($"unknown app '{key}'");

    /// <summary>Stores an app as it is (its version too when <paramref name="withVersion"/>).</summary>
    private void Save(AppState app, bool withVersion) => SaveWith(app, app.Definition, app.Version, app.Deployment, withVersion);

    /// <summary>
    /// Stores an app as it is about to be, with its deployment and (when <paramref name="withVersion"/>) the version it
    /// runs, in one write: every operation saves first and changes memory only once that succeeded.
    /// </summary>
    private void SaveWith(AppState app, AppDefinition definition, int version, SavedDeployment? deployment, bool withVersion = false)
    {
        var key = definition.Key;
        var latest = Math.Max(app.Latest, version);
        var writes = new List<FrameworkStoreWrite> { FrameworkStoreExtensions.Saving(Kind, key, new SavedApp(definition, version, latest, deployment)) };
        if (withVersion)
        {
            writes.Add(FrameworkStoreExtensions.Saving(VersionKind, VersionId(key, version), new SavedVersion(key, version, _time.GetUtcNow(), definition)));
            if (version > VersionsKept) writes.Add(new FrameworkStoreWrite(VersionKind, VersionId(key, version - VersionsKept), null));
        }
        _store.Write(writes);
    }

    /// <summary>Applies a change as a new deployment: stored (app, deployment, version) first, then in memory.</summary>
    private void Change(AppState app, AppDefinition definition, int version, string action)
    {
        var deployment = NewDeployment(action, app.Version, version, app.Definition);
        SaveWith(app, definition, version, deployment, withVersion: true);
        app.Definition = definition;
        app.Version = version;
        app.Latest = Math.Max(app.Latest, version);
        app.Deployment = deployment;
    }

    private SavedDeployment NewDeployment(string action, int from, int to, AppDefinition? previous) =>
        new(Guid.NewGuid().ToString(), action, from, to, previous, Rollback: false, _time.GetUtcNow());

    /// <summary>Marathon's lock: one deployment per app at a time, unless the caller forces the new one over it.</summary>
    private static void CheckLock(AppState app, bool force)
    {
        if (app.Deployment is { } d && !force)
            throw new ConflictException($"app '{app.Definition.Id}' is locked by deployment {d.Id} ({d.Action} to version {d.ToVersion}); wait for it, cancel it (DELETE /api/deployments/{d.Id}) or use force=true");
    }

    private DeploymentView? DeploymentOf(AppState app, DateTimeOffset now)
    {
        if (app.Deployment is not { } d) return null;
        var active = app.Tasks.Values.Where(t => Counts(t, app.Definition, now)).ToList();
        return new DeploymentView(d.Id, app.Definition.Id, d.Action, d.FromVersion, d.ToVersion, d.Rollback, d.CreatedAt,
            app.Definition.Instances,
            active.Count(t => t.Version == app.Version && IsReady(t, app.Definition)),
            app.Tasks.Values.Count(t => t.Active && t.Version != app.Version));
    }

    /// <summary>
    /// Whether instances are still to be launched, replaced or killed: deployed only once the wanted instances of this
    /// version run and, with a health check, passed it, and no other version nor instance being killed is left.
    /// </summary>
    private static bool IsDeploying(AppState app, DateTimeOffset now)
    {
        var active = app.Tasks.Values.Where(t => t.Active).ToList();
        return active.Any(t => t.Version != app.Version || t.KillRequested) || active.Count(t => Counts(t, app.Definition, now) && IsReady(t, app.Definition)) != app.Definition.Instances;
    }

    private static void CheckUpgradeStrategy(AppDefinition d)
    {
        if (d.UpgradeStrategy is { MinimumHealthCapacity: >= 1, MaximumOverCapacity: <= 0 })
            throw new ValidationException("upgradeStrategy", "minimumHealthCapacity 1 with maximumOverCapacity 0 leaves no room to replace any instance");
    }

    private AppView View(AppState app)
    {
        var now = _time.GetUtcNow();
        var active = app.Tasks.Values.Where(t => t.Active).ToList();
        var unreachable = active.Where(t => t.UnreachableSince is not null).ToList();
        var missing = Need(app, now);
        var message = missing > 0
            ? app.Summary ?? $"{missing} instance(s) waiting for an offer"
            : unreachable.Count > 0
                ? $"{unreachable.Count} instance(s) unreachable; replaced after {InactiveAfter(app.Definition).TotalSeconds:0.#} s unreachable"
                : null;
        return new AppView(
            app.Definition,
            app.Version,
            active.Count(t => t.State == TaskState.Running),
            active.Count(t => IsReady(t, app.Definition)),
            active.Count(t => t.State is TaskState.Staging or TaskState.Starting),
            IsDeploying(app, now),
            [.. active.OrderBy(t => t.Id.Value, StringComparer.Ordinal).Select(t => new AppTaskView(t.Id.Value, t.State.MesosName(), t.Agent.Value, t.Target.Hostname, t.Healthy, t.Version, t.StartedAt, t.Ports))],
            unreachable.Count,
            message,
            DeploymentOf(app, now));
    }

    // ---- scheduler callbacks ----

    /// <inheritdoc />
    protected override async Task PlaceAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        var now = _time.GetUtcNow();
        var batch = new OfferBatch(offers, driver.Billing);
        var anyNeed = false;
        lock (_gate)
        {
            LearnTargets(offers);
            var waiting = new List<AppState>();
            foreach (var app in _apps.Values.OrderBy(a => a.Definition.Key, StringComparer.Ordinal))
            {
                var need = Need(app, now);
                app.Waiting = Math.Max(0, need);
                if (need <= 0) continue;
                anyNeed = true;
                if (now < app.NextLaunch) app.Summary = $"waiting {(app.NextLaunch - now).TotalSeconds:0.#} s of launch backoff after failures";
                else waiting.Add(app);
            }
            var launches = new List<(AppState App, AppTask Task)>();
            // One plan per objective, over every offer of the round; apps of one objective are planned together, and
            // one whose tasks the planner refuses is planned again alone so that it cannot stop the others.
            foreach (var group in waiting.GroupBy(a => a.Definition.CostObjective))
            {
                var apps = group.ToList();
                var planned = new List<(AppState, AppTask)>();
                try
                {
                    PlanApps(apps, batch, now, planned);
                    launches.AddRange(planned);
                }
                catch (ValidationException) when (apps.Count > 1)
                {
                    batch.PlaceEach(apps, app =>
                    {
                        var one = new List<(AppState, AppTask)>();
                        PlanApps([app], batch, now, one);
                        launches.AddRange(one);
                        return true;
                    }, (app, why) => app.Summary = why);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    foreach (var app in apps) app.Summary = $"cannot be placed: {e.Message}";
                }
            }
            // Marathon's rule: an instance is stored before it is launched, so a restart knows every task it may have
            // started (and reconciles it) instead of launching it again. A failed write launches nothing.
            _store.Write([.. launches.Select(l => FrameworkStoreExtensions.Saving(InstanceKind, l.Task.Id.Value, SavedInstance.Of(l.App, l.Task)))]);
            foreach (var (app, task) in launches) app.Tasks[task.Id] = task;
        }
        await batch.AnswerAsync(driver, anyNeed).ConfigureAwait(false);
    }

    /// <summary>
    /// Plans the missing instances of <paramref name="apps"/> (one cost objective) with the SDK's optimizer on what is
    /// left of the batch's offers, honouring each app's constraints against where its instances run; adds what it
    /// launches to <paramref name="launches"/>, and says why the rest waits.
    /// </summary>
    private void PlanApps(List<AppState> apps, OfferBatch batch, DateTimeOffset now, List<(AppState App, AppTask Task)> launches)
    {
        var tasks = new List<PendingTask>();
        var owners = new List<AppState>();
        var replacing = new List<AppTask?>();
        var groups = new Dictionary<string, IReadOnlyList<IPlacementTarget>>(StringComparer.Ordinal);
        foreach (var app in apps)
        {
            // Fixed ports are part of what the planner matches; ports chosen by the agent's offer (0) are taken after.
            var fixedPorts = app.Definition.Ports is { Count: > 0 } p && p.Any(x => x > 0)
                ? RangeSet.Create([.. p.Where(x => x > 0).Select(x => new ValueRange((ulong)x, (ulong)x))])
                : RangeSet.Empty;
            groups[app.Definition.Key] = [.. app.Tasks.Values.Where(t => t.Active).Select(t => t.Target)];
            var move = MoveToLaunch(app);
            for (var i = Need(app, now); i > 0; i--)
            {
                var id = new TaskId(string.Create(CultureInfo.InvariantCulture, $"{app.Definition.Key}.v{app.Version}.{Guid.NewGuid().ToString("N")[..12]}"));
                // What the planner matches is resources and constraints; a health check on a port not chosen yet is not.
                var spec = app.Definition.ToTask(id, fixedPorts, app.Version) with { HealthCheck = null };
                // The first is a move's replacement, when one is due: pinned to its target.
                if (i == 1 && move is not null) spec = spec with { Constraints = [.. spec.Constraints, Pin(move.MoveTo!)] };
                tasks.Add(new PendingTask { Spec = spec, Group = app.Definition.Key });
                owners.Add(app);
                replacing.Add(i == 1 ? move : null);
            }
        }
        var plan = batch.Plan(_optimizer ?? throw NoOptimizer(), tasks, PlacementObjective.For(apps[0].Definition.CostObjective), groups);
        var waiting = apps.ToDictionary(a => a, _ => 0);
        var why = new Dictionary<AppState, string>();
        // Each reason counts once per app and round of offers, not once per offer or instance.
        var counted = new HashSet<(AppState, PlacementReason)>();
        void Wait(AppState app, PlacementReason reason, string detail)
        {
            waiting[app]++;
            why[app] = detail;
            if (counted.Add((app, reason))) app.Reasons[reason] = app.Reasons.GetValueOrDefault(reason) + 1;
            batch.Reject(reason);
        }
        foreach (var a in plan.Assignments)
        {
            var app = owners[a.TaskIndex];
            var planned = tasks[a.TaskIndex].Spec;
            var offer = batch.OfferFor(a, planned.Resources);
            var ports = offer is null ? null : app.Definition.Ports is { Count: > 0 } wanted ? PortsFor(wanted, batch.Remaining(offer)) : RangeSet.Empty;
            if (offer is null || ports is null)
            {
                Wait(app, PlacementReason.InsufficientPorts, $"no free ports left on {a.AgentId}");
                continue;
            }
            var spec = a.OnPlannedDevices(app.Definition.ToTask(planned.Id, ports, app.Version) with { Constraints = planned.Constraints });
            if (!batch.Remaining(offer).Contains(spec.Resources))
            {
                Wait(app, PlacementReason.InsufficientPorts, $"no free ports left on {a.AgentId}");
                continue;
            }
            batch.Launch(offer, spec);
            var old = replacing[a.TaskIndex];
            launches.Add((app, new AppTask(spec.Id, app.Version, offer.AgentId, offer) { Ports = [.. ports.Values()], Replaces = old?.Id }));
            if (old is not null)
            {
                old.Replacement = spec.Id;
                old.MoveTries++;
            }
        }
        foreach (var u in plan.Unplaced)
        {
            Wait(owners[u.TaskIndex], u.Reason, u.ToString());
            // A move whose target cannot take the replacement is given up after a few rounds, not retried forever.
            if (replacing[u.TaskIndex] is { } stuck && ++stuck.MoveTries >= MoveAttempts) stuck.MoveTo = null;
        }
        foreach (var app in apps)
        {
            app.Waiting = waiting[app];
            app.Summary = waiting[app] == 0 ? null : $"{waiting[app]} instance(s) waiting; {why[app]}";
        }
    }

    /// <summary>Where recovered instances run, learnt from their agents' offers (hostname and attributes, for constraints).</summary>
    private void LearnTargets(IReadOnlyList<Offer> offers)
    {
        var byAgent = new Dictionary<AgentId, Offer>();
        foreach (var o in offers) byAgent.TryAdd(o.AgentId, o);
        foreach (var task in _apps.Values.SelectMany(a => a.Tasks.Values))
        {
            if (task.Target is UnknownTarget && byAgent.TryGetValue(task.Agent, out var offer)) task.Target = offer;
        }
    }

    private static RangeSet? PortsFor(List<int> wanted, Resources available)
    {
        var any = wanted.Count(p => p == 0);
        var fixedPorts = wanted.Where(p => p > 0).Select(p => new ValueRange((ulong)p, (ulong)p)).ToList();
        var set = fixedPorts.Count > 0 ? RangeSet.Create(fixedPorts) : RangeSet.Empty;
        var free = available.GetRanges(ResourceNames.Ports).Except(set);
        var dynamic = OfferMatcher.TakePorts(Resources.Of(Resource.OfRanges(ResourceNames.Ports, free)), any);
        return dynamic is null ? null : set.Union(dynamic);
    }

    /// <summary>Replacements tried per move before the move is given up (the target cannot take it, or it keeps failing there).</summary>
    private const int MoveAttempts = 3;

    /// <summary>
    /// Moves app instances to other agents (a consolidation plan carried out), as a rolling migration: for each moved
    /// instance a replacement is launched pinned to the target (<c>hostname:IS</c>), and the instance is killed
    /// only once the replacement runs and, with a health check, is healthy, so an app never has fewer ready instances
    /// than before. One move per app at a time; a move whose replacement cannot be placed or fails
    /// <see cref="MoveAttempts"/> times is given up. Returns the instances accepted (running app instances not moving already).
    /// </summary>
    public IReadOnlyList<TaskId> Migrate(IReadOnlyList<(TaskId TaskId, string ToHostname)> moves)
    {
        ArgumentNullException.ThrowIfNull(moves);
        var accepted = new List<TaskId>();
        lock (_gate)
        {
            for (var i = 0; i < moves.Count; i++)
            {
                var (id, host) = moves[i];
                if (string.IsNullOrWhiteSpace(host)) throw new ValidationException($"moves[{i}].to", "must name the target's hostname");
                if (KeyOf(id) is not { } key || !_apps.TryGetValue(key, out var app) || !app.Tasks.TryGetValue(id, out var task)) continue;
                if (task.State != TaskState.Running || task.KillRequested || task.MoveTo is not null || task.Target.Hostname == host) continue;
                task.MoveTo = host;
                task.MoveTries = 0;
                accepted.Add(id);
            }
        }
        if (accepted.Count > 0) Converge();
        return accepted;
    }

    /// <summary>The app's instance whose move needs a replacement launched now (one move in flight per app), or null.</summary>
    private static AppTask? MoveToLaunch(AppState app)
    {
        if (app.Removed || app.Tasks.Values.Any(t => t.MoveTo is not null && t.Replacement is not null)) return null;
        return app.Tasks.Values.Where(t => t.MoveTo is not null && t.Active && !t.KillRequested).OrderBy(t => t.Id.Value, StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>How many instances to launch now: the wanted count, or during a rolling upgrade what over-capacity allows, plus a move's replacement.</summary>
    private static int Need(AppState app, DateTimeOffset now) => Missing(app, now) + (MoveToLaunch(app) is null ? 0 : 1);

    private static int Missing(AppState app, DateTimeOffset now)
    {
        if (app.Removed) return 0;
        var wanted = app.Definition.Instances;
        // A moving instance whose replacement lives is leaving: the replacement counts instead.
        var active = app.Tasks.Values.Count(t => Counts(t, app.Definition, now) && t.Replacement is null);
        var current = app.Tasks.Values.Count(t => Counts(t, app.Definition, now) && t.Replacement is null && t.Version == app.Version);
        if (active == current) return wanted - active;
        var over = (int)Math.Ceiling(wanted * (app.Definition.UpgradeStrategy?.MaximumOverCapacity ?? 1));
        return Math.Min(wanted - current, wanted + over - active);
    }

    /// <inheritdoc />
    public override async Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
    {
        Driver = driver;
        if (await EndsReconciliationAsync(driver, status).ConfigureAwait(false)) return;
        var key = KeyOf(status.TaskId);
        var kill = false;
        lock (_gate)
        {
            if (key is null || !_apps.TryGetValue(key, out var app))
            {
                kill = !status.State.IsTerminal() && key is not null;
            }
            else if (_expunged.Contains(status.TaskId))
            {
                // Given up on while unreachable, and replaced: if it still runs, it must not (Marathon's expunge).
                if (status.State.IsTerminal()) _expunged.Remove(status.TaskId);
                else kill = true;
            }
            else
            {
                // Unknown to the master (its agent gone too): it runs nowhere the cluster knows, so it ends here.
                var ended = status.State.IsTerminal() || status.State == TaskState.Unknown;
                if (!app.Tasks.TryGetValue(status.TaskId, out var task))
                {
                    if (ended) goto done;
                    // Recovered by reconciliation after a restart.
                    task = new AppTask(status.TaskId, VersionOf(status.TaskId), status.AgentId, new UnknownTarget(status.AgentId.Value));
                    app.Tasks[status.TaskId] = task;
                }
                // Forgotten in the store before in memory: a failed write leaves the update unacknowledged, to come again.
                if (ended) _store.Delete(InstanceKind, status.TaskId.Value);
                task.State = status.State;
                task.UnreachableSince = status.State == TaskState.Unreachable ? task.UnreachableSince ?? _time.GetUtcNow() : null;
                task.Agent = status.AgentId.IsEmpty ? task.Agent : status.AgentId;
                if (status.Healthy is { } healthy) task.Healthy = healthy;
                if (status.State == TaskState.Running) task.StartedAt ??= status.Timestamp == default ? _time.GetUtcNow() : status.Timestamp;
                if (ended)
                {
                    app.Tasks.Remove(status.TaskId);
                    // A replacement that ended frees its move for another try (or gives it up).
                    if (task.Replaces is { } replaced && app.Tasks.TryGetValue(replaced, out var moving) && moving.Replacement == task.Id)
                    {
                        moving.Replacement = null;
                        if (moving.MoveTries >= MoveAttempts) moving.MoveTo = null;
                    }
                    // An instance the master answers for in reconciliation did not fail: it was lost (often never
                    // launched) while the framework was away, and is replaced without a launch delay.
                    if (!task.KillRequested && status.Reason != TaskStatusReason.Reconciliation) Backoff(app, task);
                }
            }
        }
    done:
        if (kill) await driver.KillTaskAsync(status.TaskId, status.AgentId).ConfigureAwait(false);
        Converge();
    }

    private void Backoff(AppState app, AppTask task)
    {
        var now = _time.GetUtcNow();
        var ranLong = task.StartedAt is { } started && now - started >= BackoffReset;
        var d = app.Definition;
        app.Backoff = ranLong || app.Backoff is null
            ? TimeSpan.FromSeconds(d.BackoffSeconds)
            : TimeSpan.FromSeconds(Math.Min(app.Backoff.Value.TotalSeconds * d.BackoffFactor, d.MaxLaunchDelaySeconds));
        app.NextLaunch = now + app.Backoff.Value;
        // Wake up when the backoff ends: offers are declined for only a second while there is a need.
        _ = Task.Delay(app.Backoff.Value, _time).ContinueWith(_ => ReviveAsync(), TaskScheduler.Default);
    }

    /// <summary>
    /// Gives up on instances unreachable past expungeAfterSeconds, kills what scaling down, returning instances and
    /// rolling upgrades leave in excess, then asks for offers if anything must launch. Runs after every change and
    /// every <see cref="SweepInterval"/>, so that time alone (an unreachable instance ageing) acts too.
    /// </summary>
    private void Converge()
    {
        var kills = new List<(TaskId, AgentId)>();
        var needOffers = false;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var app in _apps.Values)
            {
                var expunge = app.Tasks.Values.Where(t => t.UnreachableSince is { } since && now - since >= ExpungeAfter(app.Definition)).ToList();
                if (expunge.Count > 0 && TryForget(expunge))
                {
                    foreach (var gone in expunge)
                    {
                        app.Tasks.Remove(gone.Id);
                        _expunged.Add(gone.Id);
                    }
                }
                var wanted = app.Definition.Instances;
                // A move completes when its replacement is ready: the moved instance goes then, never before.
                foreach (var moving in app.Tasks.Values.Where(t => t.Replacement is not null && !t.KillRequested).ToList())
                {
                    if (app.Tasks.TryGetValue(moving.Replacement!.Value, out var replacement) && IsReady(replacement, app.Definition)) Kill(moving, kills);
                }
                // A moving instance whose replacement lives is leaving: it does not count against the wanted number.
                var active = app.Tasks.Values.Where(t => Counts(t, app.Definition, now) && t.Replacement is null).ToList();
                var old = active.Where(t => t.Version != app.Version).OrderBy(t => t.State == TaskState.Running).ThenBy(t => t.Id.Value, StringComparer.Ordinal).ToList();
                var current = active.Where(t => t.Version == app.Version).ToList();
                if (old.Count == 0 && current.Count > wanted)
                {
                    // Too many (scaled down, or a replaced instance came back): those not yet running go first, then by
                    // the app's killSelection.
                    var byReadiness = current.OrderBy(t => t.State == TaskState.Running);
                    var ordered = app.Definition.KillSelection == "OLDEST_FIRST"
                        ? byReadiness.ThenBy(t => t.StartedAt ?? DateTimeOffset.MaxValue)
                        : byReadiness.ThenByDescending(t => t.StartedAt ?? DateTimeOffset.MaxValue);
                    foreach (var t in ordered.Take(current.Count - wanted)) Kill(t, kills);
                }
                else if (old.Count > 0)
                {
                    var minHealthy = (int)Math.Ceiling(wanted * (app.Definition.UpgradeStrategy?.MinimumHealthCapacity ?? 1));
                    var ready = active.Count(t => IsReady(t, app.Definition));
                    foreach (var t in old)
                    {
                        if (IsReady(t, app.Definition))
                        {
                            if (ready - 1 < minHealthy && current.Count(c => IsReady(c, app.Definition)) < wanted) continue;
                            ready--;
                        }
                        Kill(t, kills);
                    }
                }
                if (Need(app, now) > 0) needOffers = true;
                if (app.Deployment is not null && !IsDeploying(app, now)) TryFinishDeployment(app);
            }
        }
        if (kills.Count > 0) _ = KillAsync(kills);
        if (needOffers) _ = ReviveAsync();
    }

    /// <summary>A deployment whose app is deployed is done: forgotten, in the store first (a failed write is retried by the next sweep).</summary>
    private void TryFinishDeployment(AppState app)
    {
        try
        {
            SaveWith(app, app.Definition, app.Version, deployment: null);
            app.Deployment = null;
        }
        catch (FrameworkStoreException)
        {
        }
    }

    /// <summary>Forgets instances in the store; false when it cannot write now (the next sweep tries again).</summary>
    private bool TryForget(List<AppTask> tasks)
    {
        try
        {
            _store.Write([.. tasks.Select(t => new FrameworkStoreWrite(InstanceKind, t.Id.Value, null))]);
            return true;
        }
        catch (FrameworkStoreException)
        {
            return false;
        }
    }

    /// <summary>
    /// Running, and for an app with a health check, passed it: an instance whose check has not answered yet is not
    /// healthy (Marathon counts it neither healthy nor ready), so an upgrade waits for it before killing old ones.
    /// </summary>
    private static bool IsReady(AppTask t, AppDefinition d) =>
        t.State == TaskState.Running && (d.HealthChecks is not { Count: > 0 } || t.Healthy == true);

    /// <summary>The constraint that pins a move's replacement to its target.</summary>
    private static PlacementConstraint Pin(string hostname) => new("hostname", ConstraintOperator.Is, hostname, "moveTo");

    private static void Kill(AppTask task, List<(TaskId, AgentId)> kills)
    {
        task.KillRequested = true;
        kills.Add((task.Id, task.Agent));
    }

    private async Task KillAsync(List<(TaskId Id, AgentId Agent)> kills)
    {
        if (Driver is not { } driver) return;
        foreach (var (id, agent) in kills) await driver.KillTaskAsync(id, agent).ConfigureAwait(false);
    }

    /// <summary>"team_web.v3.&lt;uuid&gt;" → "team_web".</summary>
    private static string? KeyOf(TaskId id)
    {
        var parts = id.Value.Split('.');
        return parts.Length >= 3 && parts[^2].StartsWith('v') ? string.Join('.', parts[..^2]) : null;
    }

    private static int VersionOf(TaskId id)
    {
        var parts = id.Value.Split('.');
        return parts.Length >= 3 && int.TryParse(parts[^2].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }
}
