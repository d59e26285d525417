using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    /// <summary>
    /// Centralized mode, next to offers: the framework hands the master a batch of tasks and the master places them on
    /// the cluster's free resources (not those held in offers) with the cost optimizer, records and launches the ones it
    /// could place, and answers with where each went and why the others could not. The solve runs on the master's loop,
    /// so the cluster does not change under it; its time is bounded by the optimizer's limits. A master built without
    /// an optimizer refuses the batch (nothing is launched) and says how to add one.
    /// </summary>
    private void PlaceTasks(MessageContext request, FrameworkState fw, PlaceTasks place)
    {
        if (!place.Objective.IsDefined())
        {
            Refuse(request, ErrorCode.Invalid, $"objective: must be one of {string.Join(", ", ObjectiveKinds.All.Select(k => k.Name()))} (got the number {(int)place.Objective})");
            return;
        }
        if (_optimizer is null)
        {
            Refuse(request, ErrorCode.NoOptimizer, "this master has no placement optimizer (the host adds one with UsePlacementOptimizer, e.g. DcOs.Optimization's cost optimizer); use offers instead");
            return;
        }
        var result = new PlacementResult();
        var candidates = new List<PendingTask>();
        var positions = new List<int>();
        var batchIds = new HashSet<TaskId>();
        for (var position = 0; position < place.Tasks.Count; position++)
        {
            if (place.Tasks[position] is not { } spec) continue;
            if (ValidateTask(fw, spec, batchIds, out var invalid) is { } error)
            {
                var reason = invalid == TaskStatusReason.DuplicateTaskId ? PlacementReason.DuplicateTaskId : PlacementReason.InvalidTask;
                result.Unplaced.Add(new UnplacedTaskInfo { TaskId = spec.Id, TaskIndex = position, Reason = reason, Detail = error });
                continue;
            }
            batchIds.Add(spec.Id);
            positions.Add(position);
            candidates.Add(new PendingTask { Spec = spec, Duration = TimeSpan.FromSeconds(Math.Max(1, place.EstimatedDurationSeconds)), Group = TaskLabels.GroupOf(spec) });
        }
        if (candidates.Count > 0)
        {
            var role = fw.PrimaryRole;
            var gpu = fw.Info.Capabilities.HasFlag(FrameworkCapabilities.GpuResources);
            var machines = new List<PlacementMachine>();
            var agentsByMachine = new List<AgentState>();
            foreach (var agent in _agents.All.OrderBy(a => a.Id.Value, StringComparer.Ordinal))
            {
                if (agent.Status != AgentStatus.Active || agent.Connection is null || !_allocator.IsUsable(agent.Slot)) continue;
                if (!gpu && agent.Info.Resources.Gpus > 0) continue;
                var free = _allocator.Free(agent.Slot).AllocatableTo(role);
                if (free.IsEmpty) continue;
                machines.Add(PlacementMachine.FromAgent(agent.Info, free, agent.FreeGpus()));
                agentsByMachine.Add(agent);
            }
            var groups = candidates.Select(c => c.Group!).Distinct(StringComparer.Ordinal).ToDictionary(
                g => g,
                g => (IReadOnlyList<IPlacementTarget>)_tasks.PlacementsOf(fw, g),
                StringComparer.Ordinal);
            PlacementPlan plan;
            try
            {
                plan = _optimizer.Solve(new PlacementProblem
                {
                    Tasks = candidates,
                    Machines = machines,
                    Objective = PlacementObjective.For(place.Objective),
                    GroupPlacements = groups,
                    Billing = _options.Billing,
                });
            }
            catch (ValidationException e)
            {
                Refuse(request, ErrorCode.Invalid, e.Message);
                return;
            }
            foreach (var assignment in plan.Assignments)
            {
                var spec = candidates[assignment.TaskIndex].Spec;
                var agent = agentsByMachine[assignment.MachineIndex];
                if (!_allocator.Free(agent.Slot).Contains(spec.Resources))
                {
                    result.Unplaced.Add(new UnplacedTaskInfo { TaskId = spec.Id, TaskIndex = positions[assignment.TaskIndex], Reason = PlacementReason.CapacityExhausted, Detail = $"agent {agent.Id} no longer has room" });
                    continue;
                }
                // The plan chose the devices; they are checked against the agent's devices as a framework's would be.
                spec = assignment.OnPlannedDevices(spec);
                GpuAvailability[]? gpus = null;
                if (AssignGpus(agent, ref spec, ref gpus, out _) is { } gpuError)
                {
                    result.Unplaced.Add(new UnplacedTaskInfo { TaskId = spec.Id, TaskIndex = positions[assignment.TaskIndex], Reason = PlacementReason.CapacityExhausted, Detail = gpuError });
                    continue;
                }
                _tasks.Add(fw, agent, spec, Status(spec.Id, TaskState.Staging, TaskStatusReason.None, agent.Id, null), role, charge: true);
                Send(agent.Connection, new RunTask { FrameworkId = fw.Id, Task = spec });
                result.Placed.Add(new PlacedTask
                {
                    TaskId = spec.Id,
                    AgentId = agent.Id,
                    TaskIndex = positions[assignment.TaskIndex],
                    Cost = assignment.Cost,
                    RuntimeTicks = assignment.Runtime.Ticks,
                    EstimatedFinishTicks = assignment.EstimatedFinish.UtcTicks,
                });
                // The plan's bill per hour: the parts of the placed tasks add up to it.
                result.CostPerHour += assignment.ChargebackPerHour;
            }
            foreach (var unplaced in plan.Unplaced)
                result.Unplaced.Add(new UnplacedTaskInfo { TaskId = unplaced.TaskId, TaskIndex = positions[unplaced.TaskIndex], Reason = unplaced.Reason, Detail = unplaced.Detail });
        }
        Reply(request, result);
    }
}
