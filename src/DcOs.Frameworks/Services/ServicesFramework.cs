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

    /// <summary>A task that ran at least this long resets its app's launch backoff when it ends.</summary>
    private static readonly TimeSpan BackoffReset = TimeSpan.FromSeconds(60);

    /// <summary>How often apps are looked over for what time changes: unreachable instances to replace or give up on.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, AppState> _apps = new(StringComparer.Ordinal);
    private readonly IFrameworkStore _store;
    private readonly TimeProvider _time;
    private readonly ITimer _sweep;

    /// <summary>Instances given up on after being unreachable too long: killed if they ever report again.</summary>
    private readonly HashSet<TaskId> _expunged = [];

    /// <summary>A services framework keeping its apps in <paramref name="store"/>; backoffs run on <paramref name="time"/>.</summary>
    public ServicesFramework(IFrameworkStore store, TimeProvider time)
        : base(store, "services")
    {
        _store = store;
        _time = time;
        foreach (var saved in store.LoadAll<SavedApp>(Kind)) _apps[saved.Definition.Key] = new AppState(saved.Definition, saved.Version);
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
        Capabilities = FrameworkCapabilities.PartitionAware,
    };

    private sealed record SavedApp(AppDefinition Definition, int Version);

    private sealed class AppState(AppDefinition definition, int version)
    {
        public AppDefinition Definition { get; set; } = definition;
        public int Version { get; set; } = version;
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
    }

    private static TimeSpan InactiveAfter(AppDefinition d) => TimeSpan.FromSeconds(d.UnreachableStrategy?.InactiveAfterSeconds ?? 300);

    private static TimeSpan ExpungeAfter(AppDefinition d) => TimeSpan.FromSeconds(d.UnreachableStrategy?.ExpungeAfterSeconds ?? 600);

    /// <summary>
    /// Whether an instance counts toward the wanted number: running or on its way, not being killed, and not unreachable
    /// for longer than the app's inactiveAfterSeconds (then a replacement is launched, as Marathon does).
    /// </summary>
    private static bool Counts(AppTask t, AppDefinition d, DateTimeOffset now) =>
        t.Active && !t.KillRequested && !(t.UnreachableSince is { } since && now - since >= InactiveAfter(d));

    private sealed record UnknownTarget(string Hostname) : IPlacementTarget
    {
        public string? Region => null;
        public string? Zone => null;
        public Attributes Attributes => Attributes.Empty;
    }

    // ---- the HTTP API's operations ----

    /// <summary>Adds an app (checked with <see cref="AppDefinition.Validate"/>); it is stored before it is known, then launched.</summary>
    public AppView Add(AppDefinition definition)
    {
        definition.Validate();
        CheckUpgradeStrategy(definition);
        lock (_gate)
        {
            if (_apps.ContainsKey(definition.Key)) throw new ConflictException($"app '{definition.Id}' already exists");
            Save(definition, 1);
            _apps[definition.Key] = new AppState(definition, 1);
        }
        _ = ReviveAsync();
        return Get(definition.Key)!;
    }

    /// <summary>Replaces an app's definition: a new version, rolled out as its upgrade strategy allows.</summary>
    public AppView Update(string key, AppDefinition definition)
    {
        definition.Validate();
        CheckUpgradeStrategy(definition);
        lock (_gate)
        {
            var app = Find(key);
            if (definition.Key != app.Definition.Key) throw new ValidationException("id", $"the body's id '{definition.Id}' is not the app '{app.Definition.Id}'");
            Save(definition, app.Version + 1);
            app.Definition = definition;
            app.Version++;
        }
        Converge();
        return Get(key)!;
    }

    /// <summary>Changes an app's instance count.</summary>
    public AppView Scale(string key, int instances)
    {
        if (instances < 0) throw new ValidationException("instances", $"must not be negative (got {instances})");
        lock (_gate)
        {
            var app = Find(key);
            var scaled = app.Definition with { Instances = instances };
            Save(scaled, app.Version);
            app.Definition = scaled;
        }
        Converge();
        return Get(key)!;
    }

    /// <summary>Replaces every instance with a new one (a new version), rolling.</summary>
    public AppView Restart(string key)
    {
        lock (_gate)
        {
            var app = Find(key);
            Save(app.Definition, app.Version + 1);
            app.Version++;
        }
        Converge();
        return Get(key)!;
    }

    /// <summary>Removes an app and kills its instances.</summary>
    public void Remove(string key)
    {
        List<(TaskId, AgentId)> kills;
        lock (_gate)
        {
            var app = Find(key);
            _store.Delete(Kind, app.Definition.Key);
            app.Removed = true;
            _apps.Remove(app.Definition.Key);
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

    /// <summary>Stores an app as it is about to be: every operation saves first and changes memory only once that succeeded.</summary>
    private void Save(AppDefinition definition, int version) => _store.Save(Kind, definition.Key, new SavedApp(definition, version));

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
            // Deployed only once the wanted instances of this version run and, with a health check, passed it.
            active.Any(t => t.Version != app.Version) || active.Count(t => Counts(t, app.Definition, now) && IsReady(t, app.Definition)) != app.Definition.Instances,
            [.. active.OrderBy(t => t.Id.Value, StringComparer.Ordinal).Select(t => new AppTaskView(t.Id.Value, t.State.MesosName(), t.Agent.Value, t.Target.Hostname, t.Healthy, t.Version, t.StartedAt, t.Ports))],
            unreachable.Count,
            message);
    }

    // ---- scheduler callbacks ----

    /// <inheritdoc />
    protected override async Task PlaceAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
    {
        var now = _time.GetUtcNow();
        var batch = new OfferBatch(offers);
        bool anyNeed;
        lock (_gate)
        {
            anyNeed = batch.PlaceEach(_apps.Values.OrderBy(a => a.Definition.Key, StringComparer.Ordinal).ToList(),
                app => Place(app, offers, batch, now), (app, why) => app.Summary = why);
        }
        await batch.AnswerAsync(driver, anyNeed).ConfigureAwait(false);
    }

    /// <summary>Launches what the app needs on the batch's offers, in its objective's order; true when it needs any.</summary>
    private static bool Place(AppState app, IReadOnlyList<Offer> offers, OfferBatch batch, DateTimeOffset now)
    {
        var need = Need(app, now);
        app.Waiting = Math.Max(0, need);
        if (need <= 0) return false;
        if (now < app.NextLaunch)
        {
            app.Summary = $"waiting {(app.NextLaunch - now).TotalSeconds:0.#} s of launch backoff after failures";
            return true;
        }
        var placed = app.Tasks.Values.Where(t => t.Active).Select(t => t.Target).ToList();
        string? lastReason = null;
        // Each reason counts once per app and round of offers, not once per offer looked at.
        var counted = new HashSet<PlacementReason>();
        foreach (var offer in Order(offers, app.Definition))
        {
            while (need > 0)
            {
                var ports = app.Definition.Ports is { Count: > 0 } wanted ? PortsFor(wanted, batch.Remaining(offer)) : RangeSet.Empty;
                var id = new TaskId(string.Create(CultureInfo.InvariantCulture, $"{app.Definition.Key}.v{app.Version}.{Guid.NewGuid().ToString("N")[..12]}"));
                PlacementReason? reason = ports is null ? PlacementReason.InsufficientPorts : null;
                TaskSpec? spec = null;
                if (reason is null)
                {
                    spec = app.Definition.ToTask(id, ports!, app.Version);
                    reason = OfferMatcher.Check(spec, offer, batch.Remaining(offer), placed);
                }
                if (reason is { } r)
                {
                    if (counted.Add(r)) app.Reasons[r] = app.Reasons.GetValueOrDefault(r) + 1;
                    batch.Reject(r);
                    lastReason = r.ToString();
                    break;
                }
                batch.Launch(offer, spec!);
                placed.Add(offer);
                app.Tasks[id] = new AppTask(id, app.Version, offer.AgentId, offer) { Ports = [.. ports!.Values()] };
                need--;
            }
            if (need == 0) break;
        }
        app.Waiting = need;
        app.Summary = need == 0 ? null : $"{need} instance(s) waiting; last offer rejected for {lastReason ?? "no offer"}";
        return true;
    }

    /// <summary>Offers in the order the app's cost objective prefers.</summary>
    private static IEnumerable<Offer> Order(IReadOnlyList<Offer> offers, AppDefinition app)
    {
        var resources = app.Resources;
        return app.CostObjective switch
        {
            ObjectiveKind.Fastest => offers.OrderByDescending(o => o.Cost.SpeedFactor).ThenBy(o => o.Cost.TaskPricePerHour(resources, o.AgentTotal)).ThenBy(o => o.AgentId.Value, StringComparer.Ordinal),
            ObjectiveKind.Pack => offers.OrderBy(o => o.Resources.DominantShare(o.AgentTotal)).ThenBy(o => o.AgentId.Value, StringComparer.Ordinal),
            _ => offers.OrderBy(o => o.Cost.TaskPricePerHour(resources, o.AgentTotal)).ThenByDescending(o => o.Cost.SpeedFactor).ThenBy(o => o.AgentId.Value, StringComparer.Ordinal),
        };
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

    /// <summary>How many instances to launch now: the wanted count, or during a rolling upgrade what over-capacity allows.</summary>
    private static int Need(AppState app, DateTimeOffset now)
    {
        if (app.Removed) return 0;
        var wanted = app.Definition.Instances;
        var active = app.Tasks.Values.Count(t => Counts(t, app.Definition, now));
        var current = app.Tasks.Values.Count(t => Counts(t, app.Definition, now) && t.Version == app.Version);
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
                if (!app.Tasks.TryGetValue(status.TaskId, out var task))
                {
                    if (status.State.IsTerminal()) goto done;
                    // Recovered by reconciliation after a restart.
                    task = new AppTask(status.TaskId, VersionOf(status.TaskId), status.AgentId, new UnknownTarget(status.AgentId.Value));
                    app.Tasks[status.TaskId] = task;
                }
                task.State = status.State;
                task.UnreachableSince = status.State == TaskState.Unreachable ? task.UnreachableSince ?? _time.GetUtcNow() : null;
                task.Agent = status.AgentId.IsEmpty ? task.Agent : status.AgentId;
                if (status.Healthy is { } healthy) task.Healthy = healthy;
                if (status.State == TaskState.Running) task.StartedAt ??= status.Timestamp == default ? _time.GetUtcNow() : status.Timestamp;
                if (status.State.IsTerminal())
                {
                    app.Tasks.Remove(status.TaskId);
                    if (!task.KillRequested) Backoff(app, task);
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
                foreach (var gone in app.Tasks.Values.Where(t => t.UnreachableSince is { } since && now - since >= ExpungeAfter(app.Definition)).ToList())
                {
                    app.Tasks.Remove(gone.Id);
                    _expunged.Add(gone.Id);
                }
                var wanted = app.Definition.Instances;
                var active = app.Tasks.Values.Where(t => Counts(t, app.Definition, now)).ToList();
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
            }
        }
        if (kills.Count > 0) _ = KillAsync(kills);
        if (needOffers) _ = ReviveAsync();
    }

    /// <summary>
    /// Running, and for an app with a health check, passed it: an instance whose check has not answered yet is not
    /// healthy (Marathon counts it neither healthy nor ready), so an upgrade waits for it before killing old ones.
    /// </summary>
    private static bool IsReady(AppTask t, AppDefinition d) =>
        t.State == TaskState.Running && (d.HealthChecks is not { Count: > 0 } || t.Healthy == true);

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
