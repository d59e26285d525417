using DcOs.Core;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>The master's record of one task.</summary>
internal sealed class TaskEntry(FrameworkId frameworkId, AgentId agentId, TaskSpec spec, TaskStatusUpdate status, string role)
{
    public FrameworkId FrameworkId { get; } = frameworkId;

    public AgentId AgentId { get; } = agentId;

    public TaskSpec Spec { get; } = spec;

    public TaskId Id => Spec.Id;

    public TaskStatusUpdate Status { get; set; } = status;

    public TaskState State => Status.State;

    public string Role { get; } = role;

    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Whether the task's resources are still counted as allocated on its agent.</summary>
    public bool HoldsResources { get; set; } = true;

    public TaskRecord ToRecord() => new(FrameworkId, AgentId, Spec, Status, Role, StartedAt);
}
