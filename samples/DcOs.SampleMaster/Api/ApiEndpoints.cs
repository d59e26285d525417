using System.Globalization;
using System.Text;
using System.Text.Json;
using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Frameworks;
using DcOs.Frameworks.Jobs;
using DcOs.Frameworks.Services;
using DcOs.SampleMaster.Security;
using DcOs.Scheduling.Master;

namespace DcOs.SampleMaster.Api;

/// <summary>
/// The sample master's own HTTP API (docs/http-api.md): agents, frameworks, tasks, what is pending and what it costs,
/// over the master and the two frameworks; <c>/api/apps</c> and <c>/api/jobs</c> are DcOs.Frameworks.AspNetCore's.
/// </summary>
public static class ApiEndpoints
{
    public static void MapDcOsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/agents", async (IMaster master) =>
        {
            var agents = await master.GetAgentsAsync();
            // The tasks are read only for the devices' free shares: not at all on a cluster without GPU devices.
            var running = agents.Any(a => a.Info.Gpus.Count > 0)
                ? (await master.GetTasksAsync()).Where(t => !t.State.IsTerminal()).ToLookup(t => t.AgentId)
                : Array.Empty<TaskView>().ToLookup(t => t.AgentId);
            return agents.Select(a => AgentJson(a, running[a.Info.Id]));
        });
        api.MapPost("/agents/{id}/drain", async (string id, IMaster master, HttpRequest request) =>
        {
            double? grace = null;
            if (request.ContentLength > 0)
            {
                using var doc = await JsonDocument.ParseAsync(request.Body);
                if (doc.RootElement.TryGetProperty("gracePeriodSeconds", out var g)) grace = g.GetDouble();
            }
            await master.DrainAgentAsync(ParseAgent(id), grace is { } s ? TimeSpan.FromSeconds(s) : null);
            return Results.Accepted(value: new { id, status = "Draining" });
        });
        api.MapPost("/agents/{id}/reactivate", async (string id, IMaster master) =>
        {
            await master.ReactivateAgentAsync(ParseAgent(id));
            return Results.Accepted(value: new { id, status = "Active" });
        });
        api.MapGet("/frameworks", async (IMaster master) => (await master.GetFrameworksAsync()).Select(f => new
        {
            id = f.Info.Id.Value,
            name = f.Info.Name,
            roles = f.Info.Roles,
            connected = f.Connected,
            activeTasks = f.ActiveTasks,
            outstandingOffers = f.OutstandingOffers,
            suppressed = f.Suppressed,
            rejections = f.RejectionCounts.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
            dominantShare = Math.Round(f.DominantShare, 4),
        }));
        api.MapPost("/frameworks/credentials", async (HttpRequest request, SampleSecurity security) =>
        {
            var principal = await FrameworkPrincipalAsync(request);
            var cluster = security.Cluster ?? throw new ConflictException("this master runs --insecure (no cluster secret): frameworks connect without a credential");
            return Results.Ok(new { principal, token = cluster.Secret.FrameworkCredentials(principal).ToToken() });
        });
        api.MapGet("/tasks", async (IMaster master, ServicesFramework services, JobsFramework jobs) =>
        {
            var agents = (await master.GetAgentsAsync()).ToDictionary(a => a.Info.Id);
            return (await master.GetTasksAsync()).OrderBy(t => t.Id.Value, StringComparer.Ordinal).Select(t => TaskJson(t, agents));
        });
        api.MapGet("/tasks/{id}/logs", async (string id, IMaster master, string? file, long? offset, int? length) =>
        {
            var task = (await master.GetTasksAsync()).FirstOrDefault(t => t.Id.Value == id) ?? throw new KeyNotFoundException($"unknown task '{id}'");
            var name = file ?? "stdout";
            if (name is not ("stdout" or "stderr")) throw new ValidationException("file", $"must be stdout or stderr (got \"{name}\")");
            var log = await master.ReadTaskLogAsync(task.FrameworkId, task.Id, name, offset ?? -65536, Math.Clamp(length ?? 65536, 1, 1 << 20));
            return new { data = log.Data, offset = log.Offset, fileSize = log.FileSize };
        });

        api.MapGet("/pending", (ServicesFramework services, JobsFramework jobs) =>
            services.Pending().Select(p => new { appId = (string?)p.AppId, jobId = (string?)null, waiting = p.Waiting, reasons = p.Reasons.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value), summary = p.Summary ?? Summary(p.Waiting, p.Reasons) })
                .Concat(jobs.Pending().Select(p => new { appId = (string?)null, jobId = (string?)p.JobId, waiting = p.Waiting, reasons = p.Reasons.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value), summary = p.Summary ?? Summary(p.Waiting, p.Reasons) })));
        api.MapGet("/cost", async (IMaster master, Microsoft.Extensions.Options.IOptions<MasterOptions> engine) => await CostAsync(master, engine.Value.Billing));
        api.MapGet("/consolidation", async (IMaster master, IPlacementOptimizer optimizer, int? maxMoves) => await ConsolidationAsync(master, optimizer, maxMoves ?? 10, services: null));
        // Carries the plan out: the services framework moves each instance as a rolling migration (replacement first).
        api.MapPost("/consolidation", async (IMaster master, IPlacementOptimizer optimizer, ServicesFramework services, int? maxMoves) =>
            Results.Json(await ConsolidationAsync(master, optimizer, maxMoves ?? 10, services), statusCode: StatusCodes.Status202Accepted));
        // Real usage beside allocation: measured by the agents (cpu time and resident memory per task).
        api.MapGet("/usage", async (UsageSampler sampler) =>
        {
            var (tasks, unanswered) = await sampler.SampleAsync();
            return new { tasks, unanswered };
        });
    }

    /// <summary>
    /// The principal a framework credential is minted for: a name (letters, digits, '.', '_', '-'; at most 64), not an
    /// agent's and not one of the sample master's own frameworks (a tenant's token must not fail over as them).
    /// </summary>
    private static async Task<string> FrameworkPrincipalAsync(HttpRequest request)
    {
        using var doc = await JsonDocument.ParseAsync(request.Body);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("principal", out var value) || value.ValueKind != JsonValueKind.String)
            throw new ValidationException("principal", "is required (a string)");
        var principal = value.GetString()!;
        if (principal.Length is 0 or > 64 || !principal.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            throw new ValidationException("principal", $"must be 1 to 64 letters, digits, '.', '_' or '-' (got \"{principal}\")");
        if (ClusterSecret.IsAgentPrincipal(principal) || principal is ClusterBootstrap.ServicesPrincipal or ClusterBootstrap.JobsPrincipal)
            throw new ValidationException("principal", $"'{principal}' is reserved for the master's own agents and frameworks");
        return principal;
    }

    private static string Summary(int waiting, IReadOnlyDictionary<PlacementReason, long> reasons) =>
        reasons.Count == 0 ? $"{waiting} waiting for offers" : $"{waiting} waiting; most offers rejected for {reasons.MaxBy(kv => kv.Value).Key}";

    private static AgentId ParseAgent(string id) => AgentId.TryParse(id, out var agent) ? agent : throw new KeyNotFoundException($"unknown agent '{id}'");

    internal static object ResourcesJson(Resources r) => new
    {
        cpus = r.Cpus,
        mem = r.MemMb,
        disk = r.DiskMb,
        gpus = r.Gpus,
        ports = r.Ports.IsEmpty ? "" : r.Ports.ToString(),
    };

    private static object AgentJson(AgentView a, IEnumerable<TaskView> running) => new
    {
        id = a.Info.Id.Value,
        hostname = a.Info.Hostname,
        status = a.Status.ToString(),
        attributes = a.Info.Attributes.ToDictionary(kv => kv.Key, kv => kv.Value.Text),
        region = a.Info.Region,
        zone = a.Info.Zone,
        total = ResourcesJson(a.Info.Resources),
        used = ResourcesJson(a.Used),
        offered = ResourcesJson(a.Offered),
        activeTasks = a.ActiveTasks,
        isolationWarning = a.IsolationWarning,
        // Each GPU device with the share its running tasks leave free.
        gpuDevices = GpuShares.FreeOf(a.Info.Gpus, running.Select(t => t.Spec)).Select(g => new { index = g.Device.Index, model = g.Device.Model, memoryMb = g.Device.MemoryMb, free = g.Free }),
        cost = new { machinePerHour = a.Info.Cost.MachinePerHour, speedFactor = a.Info.Cost.SpeedFactor, preemptible = a.Info.Cost.Preemptible },
        registeredAt = a.RegisteredAt,
    };

    private static object TaskJson(TaskView t, Dictionary<AgentId, AgentView> agents) => new
    {
        id = t.Id.Value,
        appId = t.Spec.Labels.GetValueOrDefault("app"),
        jobId = t.Spec.Labels.GetValueOrDefault("job"),
        frameworkId = t.FrameworkId.Value,
        agentId = t.AgentId.Value,
        hostname = agents.TryGetValue(t.AgentId, out var a) ? a.Info.Hostname : null,
        state = t.State.MesosName(),
        message = t.Status.Message,
        healthy = t.Status.Healthy,
        startedAt = t.StartedAt,
        updatedAt = t.Status.Timestamp == default ? (DateTimeOffset?)null : t.Status.Timestamp,
        cpus = t.Spec.Resources.Cpus,
        mem = t.Spec.Resources.MemMb,
        gpus = t.Spec.Resources.Gpus,
        gpuDevices = t.Spec.GpuDevices ?? [],
        ports = t.Spec.Resources.Ports.Values().ToArray(),
    };

    /// <summary>
    /// The cluster's bill per hour, by the master's billing mode. Machine billing: every registered agent is a machine
    /// that is on and paid its price, plus per-unit prices of what its tasks use; an agent running nothing is paid all
    /// the same (what stopping it would save: <c>idlePerHour</c>); each busy agent's bill is split among its tasks by
    /// dominant share, so the apps' parts add up to what their agents cost. Chargeback: each task is charged its
    /// share of its agent (and per-unit prices), an agent's line is what its tasks are charged, and
    /// <c>idlePerHour</c> is what the agents running nothing cost their owner, charged to no one.
    /// </summary>
    private static async Task<object> CostAsync(IMaster master, BillingMode billing)
    {
        var agents = await master.GetAgentsAsync();
        var tasks = (await master.GetTasksAsync()).Where(t => t.State is TaskState.Running or TaskState.Staging or TaskState.Starting).ToList();
        var byAgentTasks = tasks.ToLookup(t => t.AgentId);
        var charge = new Dictionary<TaskId, double>();
        var byAgent = agents.Select(a =>
        {
            var mine = byAgentTasks[a.Info.Id].ToList();
            var cost = a.Info.Cost;
            var shares = mine.Sum(t => t.Spec.Resources.DominantShare(a.Info.Resources));
            foreach (var t in mine)
            {
                var share = shares > 0 ? t.Spec.Resources.DominantShare(a.Info.Resources) / shares : 1.0 / mine.Count;
                charge[t.Spec.Id] = billing == BillingMode.Chargeback
                    ? cost.TaskPricePerHour(t.Spec.Resources, a.Info.Resources)
                    : cost.UnitPricePerHour(t.Spec.Resources) + cost.MachinePerHour * share;
            }
            var totalCpus = a.Info.Resources.Cpus;
            return new
            {
                agentId = a.Info.Id.Value,
                hostname = a.Info.Hostname,
                perHour = Math.Round(billing == BillingMode.Chargeback && mine.Count > 0
                    ? mine.Sum(t => charge[t.Spec.Id])
                    : cost.MachinePerHour + mine.Sum(t => cost.UnitPricePerHour(t.Spec.Resources)), 6),
                machinePerHour = Math.Round(cost.MachinePerHour, 6),
                tasks = mine.Count,
                idle = mine.Count == 0,
                utilization = totalCpus > 0 ? Math.Round(a.Used.Cpus / totalCpus, 4) : 0,
            };
        }).ToList();
        var byApp = tasks.Where(t => t.Spec.Labels.ContainsKey("app") && charge.ContainsKey(t.Spec.Id)).GroupBy(t => t.Spec.Labels["app"]).Select(g => new
        {
            appId = g.Key,
            perHour = Math.Round(g.Sum(t => charge[t.Spec.Id]), 6),
            instances = g.Count(),
        }).OrderBy(x => x.appId, StringComparer.Ordinal).ToList();
        var busyPerHour = byAgent.Where(a => !a.idle).Sum(a => a.perHour);
        var firstFit = billing == BillingMode.Machine ? FirstFitBill(agents, tasks) : null;
        return new
        {
            billing = billing == BillingMode.Chargeback ? "chargeback" : "machine",
            totalPerHour = Math.Round(byAgent.Where(a => billing == BillingMode.Machine || !a.idle).Sum(a => a.perHour), 6),
            idlePerHour = Math.Round(byAgent.Where(a => a.idle).Sum(a => a.perHour), 6),
            idleMachines = byAgent.Count(a => a.idle),
            // What first-fit (agents by hostname, tasks by id) would pay for the same running tasks, and what the
            // current placement saves against it, idle machines aside (either could stop those).
            firstFitPerHour = firstFit is { } ff ? Math.Round(ff.PerHour, 6) : (double?)null,
            firstFitUnplaced = firstFit?.Unplaced,
            savingsVsFirstFitPerHour = firstFit is { Unplaced: 0 } f ? Math.Round(f.PerHour - busyPerHour, 6) : (double?)null,
            byAgent,
            byApp,
        };
    }

    /// <summary>
    /// What moving at most <paramref name="maxMoves"/> app instances would save: the consolidation plan over the active
    /// agents, app instances (label <c>app</c>) movable, other tasks staying. A dry run without <paramref name="services"/>;
    /// with it, the services framework carries the moves out.
    /// </summary>
    private static async Task<object> ConsolidationAsync(IMaster master, IPlacementOptimizer optimizer, int maxMoves, ServicesFramework? services)
    {
        if (maxMoves is < 0 or > MaxConsolidationMoves) throw new ValidationException("maxMoves", $"must be between 0 and {MaxConsolidationMoves} (got {maxMoves})");
        var agents = (await master.GetAgentsAsync()).Where(a => a.Status == AgentStatus.Active).ToList();
        var active = agents.Select(a => a.Info.Id).ToHashSet();
        var tasks = (await master.GetTasksAsync()).Where(t => t.State is TaskState.Running or TaskState.Staging or TaskState.Starting && active.Contains(t.AgentId)).ToList();
        var running = tasks.Select(t => new DcOs.Framework.RunningPlacement(t.Spec, t.AgentId, Movable: t.Spec.Labels.ContainsKey("app") && t.State == TaskState.Running))
            .GroupBy(r => r.Spec.Id).Select(g => g.First()).ToList();
        var plan = DcOs.Framework.ConsolidationPlanner.Plan(optimizer, [.. agents.Select(a => a.Info)], running, maxMoves);
        var host = agents.ToDictionary(a => a.Info.Id, a => a.Info.Hostname);
        var app = running.ToDictionary(r => r.Spec.Id, r => r.Spec.Labels.GetValueOrDefault("app"));
        var started = services?.Migrate([.. plan.Moves.Select(m => (m.TaskId, host[m.To]))]);
        return new
        {
            maxMoves,
            // With POST: the moves the services framework took on (its running instances); the others stay where they are.
            started = started?.Select(id => id.Value),
            moves = plan.Moves.Select(m => new { taskId = m.TaskId.Value, appId = app[m.TaskId], from = host[m.From], to = host[m.To], fromAgentId = m.From.Value, toAgentId = m.To.Value, gpuDevices = m.GpuDevices }),
            machinesSwitchedOff = plan.MachinesSwitchedOff.Select(a => host[a]),
            idleMachines = plan.IdleMachines.Select(a => host[a]),
            idlePerHour = Math.Round(plan.IdlePerHour, 6),
            billBeforePerHour = Math.Round(plan.BillBeforePerHour, 6),
            billAfterPerHour = Math.Round(plan.BillAfterPerHour, 6),
            savingsPerHour = Math.Round(plan.SavingsPerHour, 6),
        };
    }

    private const int MaxConsolidationMoves = 10_000;

    private static readonly IPlacementOptimizer FirstFit = DcOs.Optimization.PlacementOptimizer.Create(new DcOs.Optimization.OptimizerOptions { Algorithm = OptimizerAlgorithm.FirstFit });

    /// <summary>
    /// The machine bill of placing the running tasks from scratch with first-fit on every agent that takes tasks, agents
    /// by hostname and tasks by id: the baseline the current placement is measured against. Null without tasks.
    /// </summary>
    private static (double PerHour, int Unplaced)? FirstFitBill(IReadOnlyList<AgentView> agents, List<TaskView> tasks)
    {
        if (tasks.Count == 0) return null;
        var machines = agents.Where(a => a.Status == AgentStatus.Active).OrderBy(a => a.Info.Hostname, StringComparer.Ordinal).ThenBy(a => a.Info.Id.Value, StringComparer.Ordinal)
            .Select(a => PlacementMachine.FromAgent(a.Info)).ToList();
        var pending = tasks.OrderBy(t => t.Id.Value, StringComparer.Ordinal)
            .Select((t, i) => new PendingTask { Spec = t.Spec with { Id = new TaskId($"t{i}"), GpuDevices = null }, Group = TaskLabels.GroupOf(t.Spec) }).ToList();
        var plan = FirstFit.Solve(new PlacementProblem { Tasks = pending, Machines = machines, Billing = BillingMode.Machine });
        return (plan.Bill.PerHour, plan.Unplaced.Count);
    }
}
