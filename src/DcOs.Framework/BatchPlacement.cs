using DcOs.Core.Placement;

namespace DcOs.Framework;

/// <summary>The master's answer to a centralized placement.</summary>
/// <param name="Placed">Tasks launched, in the optimizer's own shape: the agent, the cost and runtime there, the estimated finish (<see cref="TaskAssignment.TaskIndex"/> is the position in the batch; no machine index or offers).</param>
/// <param name="Unplaced">Tasks not launched and why, in the optimizer's own shape (<see cref="UnplacedTask.TaskIndex"/> is the position in the batch).</param>
/// <param name="CostPerHour">The placed tasks' cost per hour.</param>
public sealed record BatchPlacement(IReadOnlyList<TaskAssignment> Placed, IReadOnlyList<UnplacedTask> Unplaced, double CostPerHour);
