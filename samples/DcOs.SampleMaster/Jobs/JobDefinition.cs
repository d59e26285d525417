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

    /// <summary>
    /// The longest job id: its runs' task ids ("id.20261201120000" + a counter of up to 10 digits + ".a101") must fit
    /// in an id.
    /// </summary>
    public const int MaxIdLength = IdText.MaxLength - 31;

    /// <summary>Checks every field, and that a run could be launched; throws naming the first field at fault.</summary>
    public JobDefinition Validate()
    {
        var key = Id?.Trim('/') ?? "";
        if (key.Length == 0) throw new ValidationException("id", "is required");
        // Metronome's rule: one name, no path ("/a/b" could be neither run nor deleted by /api/jobs/{id}).
        if (!DefinitionRules.IsIdSegment(key))
            throw new ValidationException("id", $"\"{Id}\": lowercase letters, digits and '-', in labels separated by '.' (e.g. \"prod.backup\"; no '/' inside)");
        if (key.Length > MaxIdLength) throw new ValidationException("id", $"must be at most {MaxIdLength} characters (got {key.Length}): run and task ids are made from it");
        if (Run is null) throw new ValidationException("run", "is required");
        Run.Validate();
        if (Schedule is not null) CronSchedule.Parse(Schedule);
        // Everything a launch checks, on the task the last retry of a run becomes.
        var longestId = new TaskId(key + "." + new string('0', 14 + 10) + ".a" + (Run.MaxRetries + 1).ToString(CultureInfo.InvariantCulture));
        DefinitionRules.Launchable(new TaskSpec
        {
            Id = longestId,
            Name = Id,
            Command = CommandSpec.FromShell(Run.Cmd!) with { Environment = Run.Env ?? new Dictionary<string, string>(), User = Run.User },
            Resources = Run.Resources,
        }, "run.cmd");
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

    /// <summary>The longest a run may be estimated to take, or be given to start and finish: 30 days.</summary>
    public const double MaxRunSeconds = 30 * 86_400;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Cmd)) throw new ValidationException("run.cmd", "is required");
        DefinitionRules.Amount(Cpus, "run.cpus", DefinitionRules.MaxCpus);
        DefinitionRules.Amount(Mem, "run.mem", DefinitionRules.MaxMemMb);
        DefinitionRules.Amount(Disk, "run.disk", DefinitionRules.MaxDiskMb);
        DefinitionRules.Seconds(EstimatedDurationSeconds, "run.estimatedDurationSeconds", max: MaxRunSeconds);
        if (Cpus <= 0 && Mem <= 0) throw new ValidationException("run.cpus", "a job needs cpus or mem greater than zero");
        if (MaxRetries < 0) throw new ValidationException("run.maxRetries", $"must not be negative (got {MaxRetries})");
        if (MaxRetries > 100) throw new ValidationException("run.maxRetries", $"must be at most 100 (got {MaxRetries})");
        if (DeadlineSeconds is { } d) DefinitionRules.Seconds(d, "run.deadlineSeconds", max: MaxRunSeconds, positive: true);
        DefinitionRules.EnvironmentNames(Env, "run.env");
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
