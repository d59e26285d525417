namespace DcOs.Core;

/// <summary>One status update of a task (Mesos' <c>TaskStatus</c>).</summary>
public sealed record TaskStatusUpdate
{
    /// <summary>The task.</summary>
    public required TaskId TaskId { get; init; }

    /// <summary>The new state.</summary>
    public required TaskState State { get; init; }

    /// <summary>Why.</summary>
    public TaskStatusReason Reason { get; init; }

    /// <summary>Who produced it.</summary>
    public TaskStatusSource Source { get; init; }

    /// <summary>Human-readable detail (exit status, signal, validation message).</summary>
    public string? Message { get; init; }

    /// <summary>
    /// The command's exit code, when it exited on its own (0 for TASK_FINISHED); null when it was killed by a signal,
    /// never started, or ended unobserved (the agent down and no exit record left).
    /// </summary>
    public int? ExitCode { get; init; }

    /// <summary>The signal that ended the command (9 for SIGKILL), when it was killed; null otherwise.</summary>
    public int? Signal { get; init; }

    /// <summary>When it happened, read from the producer's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// Identifies the update for acknowledgement and deduplication. <see cref="Guid.Empty"/> for updates that need no
    /// acknowledgement (master-generated reconciliation answers), as in Mesos.
    /// </summary>
    public Guid UpdateId { get; init; }

    /// <summary>The latest health check result, when the task has a health check.</summary>
    public bool? Healthy { get; init; }

    /// <summary>The agent the task is on, when known.</summary>
    public AgentId AgentId { get; init; }

    /// <summary>Whether this update must be acknowledged.</summary>
    public bool NeedsAcknowledgement => UpdateId != Guid.Empty;
}
