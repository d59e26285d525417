using DcOs.Core;

namespace DcOs.Framework;

/// <summary>The master's answer to a centralized placement.</summary>
/// <param name="Placed">Tasks launched and their agents.</param>
/// <param name="Unplaced">Tasks not launched and why.</param>
/// <param name="CostPerHour">The placed tasks' cost per hour.</param>
public sealed record BatchPlacement(IReadOnlyList<(TaskId TaskId, AgentId AgentId)> Placed, IReadOnlyList<(TaskId TaskId, string Reason)> Unplaced, double CostPerHour);
