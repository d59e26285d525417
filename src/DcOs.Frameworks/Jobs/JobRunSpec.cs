using System.Text.Json.Serialization;
using DcOs.Core;
using DcOs.Frameworks.Internal;

namespace DcOs.Frameworks.Jobs;

/// <summary>What a run of a job runs, and how it is retried and placed.</summary>
public sealed record JobRunSpec
{
    /// <summary>Shell text, run with <c>/bin/sh -c</c>.</summary>
    public string? Cmd { get; init; }
    /// <summary>Cpus of one run. Default 0.1.</summary>
    public double Cpus { get; init; } = 0.1;
    /// <summary>Memory of one run, in MiB. Default 32.</summary>
    public double Mem { get; init; } = 32;
    /// <summary>Disk of one run, in MiB.</summary>
    public double Disk { get; init; }
    /// <summary>GPUs of one run: up to 1 is a share of one device, more must be whole devices.</summary>
    public double Gpus { get; init; }
    /// <summary>The GPU model a run needs (e.g. "A100"), matched ignoring case; null: any model.</summary>
    public string? GpuModel { get; init; }
    /// <summary>Retries after a failed attempt (at most 100). Default 0.</summary>
    public int MaxRetries { get; init; }
    /// <summary>How long a run is expected to take on a machine of speed factor 1, in seconds: the cost estimate and the deadline check use it. Default 60.</summary>
    public double EstimatedDurationSeconds { get; init; } = 60;
    /// <summary>Seconds from a run's creation by which it must have finished: it is placed only where it can, and fails if it cannot start in time. Null: no deadline.</summary>
    public double? DeadlineSeconds { get; init; }
    /// <summary>Environment variables of the run.</summary>
    public Dictionary<string, string>? Env { get; init; }
    /// <summary>The Unix user the job runs as; null: the agent's default (<c>nobody</c>).</summary>
    public string? User { get; init; }

    /// <summary>The longest a run may be estimated to take, or be given to start and finish: 30 days.</summary>
    public const double MaxRunSeconds = 30 * 86_400;

    /// <summary>Checks every field; throws <see cref="ValidationException"/> naming the first at fault.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Cmd)) throw new ValidationException("run.cmd", "is required");
        DefinitionRules.Amount(Cpus, "run.cpus", DefinitionRules.MaxCpus);
        DefinitionRules.Amount(Mem, "run.mem", DefinitionRules.MaxMemMb);
        DefinitionRules.Amount(Disk, "run.disk", DefinitionRules.MaxDiskMb);
        DefinitionRules.Gpus(Gpus, GpuModel, "run.");
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

    /// <summary>The resources of one run.</summary>
    [JsonIgnore]
    public Resources Resources => Resources.FromScalars(Cpus, Mem, Disk, Gpus);
}
