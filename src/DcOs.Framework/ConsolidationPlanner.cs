using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Framework;

/// <summary>A task running now, as consolidation sees it: its spec, its agent, and whether it may be moved.</summary>
/// <param name="Spec">The task (its resources, constraints, GPU devices and group label are read).</param>
/// <param name="AgentId">Where it runs.</param>
/// <param name="Movable">False for a task that must stay (a batch run that ends on its own, a framework that cannot move it).</param>
public sealed record RunningPlacement(TaskSpec Spec, AgentId AgentId, bool Movable = true);

/// <summary>One move of a consolidation plan: the task, the agent it leaves, the agent it goes to and the GPU devices it gets there.</summary>
public sealed record TaskMove(TaskId TaskId, AgentId From, AgentId To, IReadOnlyList<int> GpuDevices);

/// <summary>
/// What moving at most K tasks would save under machine billing: the moves, the machines they empty, and the bill per
/// hour of the machines running anything before and after (machine price plus the per-unit prices of their tasks).
/// Machines already idle are listed apart: switching them off saves their price without any move.
/// </summary>
public sealed record ConsolidationPlan
{
    /// <summary>The moves, machine by machine (all of one emptied machine's tasks together), in the order to carry them out.</summary>
    public required IReadOnlyList<TaskMove> Moves { get; init; }

    /// <summary>The machines the moves leave running nothing, which can then be switched off.</summary>
    public required IReadOnlyList<AgentId> MachinesSwitchedOff { get; init; }

    /// <summary>Machines running nothing already.</summary>
    public required IReadOnlyList<AgentId> IdleMachines { get; init; }

    /// <summary>Per hour, what the idle machines cost while they stay on.</summary>
    public required double IdlePerHour { get; init; }

    /// <summary>Per hour, what the machines running anything cost now.</summary>
    public required double BillBeforePerHour { get; init; }

    /// <summary>Per hour, what they cost after the moves.</summary>
    public required double BillAfterPerHour { get; init; }

    /// <summary><see cref="BillBeforePerHour"/> minus <see cref="BillAfterPerHour"/>.</summary>
    public double SavingsPerHour => BillBeforePerHour - BillAfterPerHour;
}

/// <summary>
/// Consolidation in the spirit of Karpenter's: given where tasks run, a plan of at most K moves that empties machines
/// so they can be switched off. Machines are tried dearest per task first; a machine is emptied only when the
/// optimizer (Cheapest, machine billing) places all of its tasks on the others, constraints, devices and the group
/// placements of the rest included, for less than the machine costs (room on a running machine is free; an idle one
/// the tasks would need is paid). The bill before and after is recomputed from the agents' cost models.
/// </summary>
public static class ConsolidationPlanner
{
    /// <summary>Machines tried at most per plan: each try is one solve over the cluster.</summary>
    public const int MaxCandidates = 64;

    /// <summary>Plans at most <paramref name="maxMoves"/> moves of <paramref name="running"/> tasks among <paramref name="agents"/>.</summary>
    /// <exception cref="ValidationException">A negative <paramref name="maxMoves"/>, a task on an unknown agent, or a repeated task id.</exception>
    public static ConsolidationPlan Plan(
        IPlacementOptimizer optimizer, IReadOnlyList<AgentInfo> agents, IReadOnlyList<RunningPlacement> running, int maxMoves,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (agents is null) throw new ValidationException("agents", "is required");
        if (running is null) throw new ValidationException("running", "is required");
        if (maxMoves < 0) throw new ValidationException("maxMoves", $"must not be negative (got {maxMoves})");
        var byId = new Dictionary<AgentId, AgentInfo>();
        for (var i = 0; i < agents.Count; i++)
        {
            var agent = agents[i] ?? throw new ValidationException($"agents[{i}]", "is required");
            if (!byId.TryAdd(agent.Id, agent)) throw new ValidationException($"agents[{i}].id", $"repeats agent {agent.Id}");
        }
        var where = new Dictionary<TaskId, AgentId>();
        var tasks = new Dictionary<AgentId, List<RunningPlacement>>();
        foreach (var agent in agents) tasks[agent.Id] = [];
        for (var i = 0; i < running.Count; i++)
        {
            var task = running[i] ?? throw new ValidationException($"running[{i}]", "is required");
            if (!byId.ContainsKey(task.AgentId)) throw new ValidationException($"running[{i}].agentId", $"agent {task.AgentId} is not among the agents");
            if (!where.TryAdd(task.Spec.Id, task.AgentId)) throw new ValidationException($"running[{i}].spec.id", $"task {task.Spec.Id} is listed twice");
            tasks[task.AgentId].Add(task);
        }
        var before = Bill(byId, tasks);
        var idle = agents.Where(a => tasks[a.Id].Count == 0).Select(a => a.Id).ToList();

        var candidates = agents.Where(a => tasks[a.Id].Count > 0 && tasks[a.Id].All(t => t.Movable))
            .OrderByDescending(a => a.Cost.MachinePerHour / tasks[a.Id].Count).ThenBy(a => a.Id.Value, StringComparer.Ordinal)
            .Take(MaxCandidates).ToList();
        var moves = new List<TaskMove>();
        var emptied = new List<AgentId>();
        foreach (var candidate in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var mine = tasks[candidate.Id];
            if (mine.Count == 0 || mine.Count > maxMoves - moves.Count) continue;
            var targets = agents.Where(a => a.Id != candidate.Id && !emptied.Contains(a.Id)).ToList();
            if (targets.Count == 0) continue;
            var machines = targets.Select(a => Machine(a, tasks[a.Id])).ToList();
            var pending = mine.Select(t => new PendingTask { Spec = t.Spec with { GpuDevices = null }, Group = TaskLabels.GroupOf(t.Spec) }).ToList();
            var groups = pending.Select(p => p.Group!).Distinct(StringComparer.Ordinal).ToDictionary(
                g => g,
                g => (IReadOnlyList<IPlacementTarget>)[.. tasks.Where(kv => kv.Key != candidate.Id).SelectMany(kv => kv.Value.Where(t => TaskLabels.GroupOf(t.Spec) == g).Select(_ => byId[kv.Key]))],
                StringComparer.Ordinal);
            var plan = optimizer.Solve(new PlacementProblem
            {
                Tasks = pending,
                Machines = machines,
                Objective = PlacementObjective.Cheapest,
                Billing = BillingMode.Machine,
                GroupPlacements = groups,
            }, cancellationToken);
            if (plan.Unplaced.Count > 0) continue;

            // What the move costs, from the cost models: idle targets switched on, and the tasks' unit prices there.
            var switchedOn = plan.Assignments.Select(a => targets[a.MachineIndex]).Where(a => tasks[a.Id].Count == 0).Distinct().Sum(a => a.Cost.MachinePerHour);
            var units = plan.Assignments.Sum(a => targets[a.MachineIndex].Cost.UnitPricePerHour(pending[a.TaskIndex].Spec.Resources));
            var saved = candidate.Cost.MachinePerHour + mine.Sum(t => candidate.Cost.UnitPricePerHour(t.Spec.Resources)) - switchedOn - units;
            if (saved <= 1e-9) continue;

            foreach (var a in plan.Assignments)
            {
                var task = mine[a.TaskIndex];
                var to = targets[a.MachineIndex].Id;
                tasks[to].Add(task with { Spec = a.OnPlannedDevices(task.Spec with { GpuDevices = null }), AgentId = to });
                moves.Add(new TaskMove(task.Spec.Id, candidate.Id, to, a.GpuDevices));
            }
            tasks[candidate.Id] = [];
            emptied.Add(candidate.Id);
        }
        return new ConsolidationPlan
        {
            Moves = moves,
            MachinesSwitchedOff = emptied,
            IdleMachines = idle,
            IdlePerHour = idle.Sum(id => byId[id].Cost.MachinePerHour),
            BillBeforePerHour = before,
            BillAfterPerHour = Bill(byId, tasks),
        };
    }

    /// <summary>A target as the optimizer sees it: what its tasks leave free, resources and each GPU device.</summary>
    private static PlacementMachine Machine(AgentInfo agent, List<RunningPlacement> here)
    {
        var free = agent.Resources;
        foreach (var t in here) free = free.Subtract(t.Spec.Resources);
        var gpus = GpuShares.FreeOf(agent.Gpus, here.Select(t => t.Spec));
        return PlacementMachine.FromAgent(agent, free, gpus);
    }

    /// <summary>Per hour, the machines running anything: machine price plus the unit prices of their tasks.</summary>
    private static double Bill(Dictionary<AgentId, AgentInfo> agents, Dictionary<AgentId, List<RunningPlacement>> tasks) =>
        tasks.Where(kv => kv.Value.Count > 0).Sum(kv => agents[kv.Key].Cost.MachinePerHour + kv.Value.Sum(t => agents[kv.Key].Cost.UnitPricePerHour(t.Spec.Resources)));
}
