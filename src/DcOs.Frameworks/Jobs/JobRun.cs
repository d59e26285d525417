namespace DcOs.Frameworks.Jobs;

/// <summary>One run of a job, as kept in its history.</summary>
public sealed record JobRun
{
    /// <summary>The run's id: the job's key, the creation time and a counter.</summary>
    public string RunId { get; init; } = "";
    /// <summary>The job it is a run of.</summary>
    public string JobId { get; init; } = "";
    /// <summary>PENDING, STARTING, RUNNING, SUCCESS or FAILED.</summary>
    public string Status { get; set; } = "PENDING";
    /// <summary>The exit code of the last attempt, when it ended with one.</summary>
    public int? ExitCode { get; set; }
    /// <summary>Why the run is where it is, for a person.</summary>
    public string? Message { get; set; }
    /// <summary>The task of the current (or last) attempt.</summary>
    public string? TaskId { get; set; }
    /// <summary>The agent of the current (or last) attempt.</summary>
    public string? AgentId { get; set; }
    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; set; }
    /// <summary>When the run was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When its first attempt was running.</summary>
    public DateTimeOffset? StartedAt { get; set; }
    /// <summary>When it succeeded or failed for good.</summary>
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>The estimated cost of the attempt on the machine it was placed on.</summary>
    public double? CostEstimate { get; set; }
    /// <summary>When it must have finished, when the job has a deadline.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>When it must have started, when the job has a starting deadline.</summary>
    public DateTimeOffset? StartBy { get; init; }

    /// <summary>The signal that ended the last attempt, when a signal did (from the task's status, not its text).</summary>
    public int? Signal { get; set; }
}
