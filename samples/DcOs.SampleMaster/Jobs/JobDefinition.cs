using System.Globalization;
using System.Text.Json.Serialization;
using DcOs.Core;

namespace DcOs.SampleMaster.Jobs;

/// <summary>A job as users write it (Metronome-like).</summary>
public sealed record JobDefinition
{
    public string Id { get; init; } = "";
    public JobRunSpec? Run { get; init; }
    public string? Schedule { get; init; }

    [JsonIgnore]
    public string Key => Id.Trim('/').Replace('/', '_');

    public JobDefinition Validate()
    {
        var key = Id?.Trim('/') ?? "";
        if (key.Length == 0) throw new ValidationException("id", "is required");
        if (!IdText.IsValid(key.Replace('/', '-')) || key.Contains('_')) throw new ValidationException("id", $"\"{Id}\" may contain only letters, digits, '.', '-' and '/'");
        if (Run is null) throw new ValidationException("run", "is required");
        Run.Validate();
        if (Schedule is not null) CronSchedule.Parse(Schedule);
        return this;
    }
}

public sealed record JobRunSpec
{
    public string? Cmd { get; init; }
    public double Cpus { get; init; } = 0.1;
    public double Mem { get; init; } = 32;
    public double Disk { get; init; }
    public int MaxRetries { get; init; }
    public double EstimatedDurationSeconds { get; init; } = 60;
    public double? DeadlineSeconds { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    /// <summary>The Unix user the job runs as; null: the agent's default (<c>nobody</c>).</summary>
    public string? User { get; init; }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Cmd)) throw new ValidationException("run.cmd", "is required");
        Check(Cpus, "run.cpus");
        Check(Mem, "run.mem");
        Check(Disk, "run.disk");
        Check(EstimatedDurationSeconds, "run.estimatedDurationSeconds");
        if (Cpus <= 0 && Mem <= 0) throw new ValidationException("run.cpus", "a job needs cpus or mem greater than zero");
        if (MaxRetries < 0) throw new ValidationException("run.maxRetries", $"must not be negative (got {MaxRetries})");
        if (DeadlineSeconds is { } d && (!double.IsFinite(d) || d <= 0)) throw new ValidationException("run.deadlineSeconds", "must be a positive number of seconds");
        if (User is not null)
        {
            try
            {
                _ = (CommandSpec.FromShell("x") with { User = User }).Validate("command");
            }
            catch (ValidationException e)
            {
                throw new ValidationException("run.user", e.Reason);
            }
        }
    }

    [JsonIgnore]
    public Resources Resources => Resources.FromScalars(Cpus, Mem, Disk);

    private static void Check(double value, string field)
    {
        if (!double.IsFinite(value) || value < 0) throw new ValidationException(field, $"must be a non-negative number (got {value.ToString(CultureInfo.InvariantCulture)})");
    }
}

/// <summary>One run of a job, as kept in its history.</summary>
public sealed record JobRun
{
    public string RunId { get; init; } = "";
    public string JobId { get; init; } = "";
    public string Status { get; set; } = "PENDING";
    public int? ExitCode { get; set; }
    public string? Message { get; set; }
    public string? TaskId { get; set; }
    public string? AgentId { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public double? CostEstimate { get; set; }
    public DateTimeOffset? Deadline { get; init; }
}
