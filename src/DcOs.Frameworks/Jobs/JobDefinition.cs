using System.Globalization;
using System.Text.Json.Serialization;
using DcOs.Core;
using DcOs.Frameworks.Internal;

namespace DcOs.Frameworks.Jobs;

/// <summary>A job as users write it (Metronome-like).</summary>
public sealed record JobDefinition
{
    /// <summary>The job's id, Metronome-style: lowercase labels separated by '.' ("prod.backup"); a leading '/' is ignored.</summary>
    public string Id { get; init; } = "";
    /// <summary>What each run runs.</summary>
    public JobRunSpec? Run { get; init; }
    /// <summary>A five-field cron expression in UTC ("0 3 * * *"); null: runs only when asked (<c>POST /api/jobs/{id}/run</c>).</summary>
    public string? Schedule { get; init; }

    /// <summary>
    /// Metronome's concurrencyPolicy: <c>ALLOW</c> (default) lets runs overlap; <c>FORBID</c> starts no run while another
    /// of the job is pending or running (a scheduled one is skipped, one asked for is refused with 409).
    /// </summary>
    public string ConcurrencyPolicy { get; init; } = "ALLOW";

    /// <summary>
    /// Metronome's startingDeadlineSeconds: a run that has not started this many seconds after it was due fails instead
    /// of starting late. Null: it waits as long as it takes.
    /// </summary>
    public double? StartingDeadlineSeconds { get; init; }

    /// <summary>The id without its leading slash: the key in the store and the prefix of run ids.</summary>
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
        if (ConcurrencyPolicy is not ("ALLOW" or "FORBID"))
            throw new ValidationException("concurrencyPolicy", $"must be ALLOW or FORBID (got \"{ConcurrencyPolicy}\")");
        if (StartingDeadlineSeconds is { } starting) DefinitionRules.Seconds(starting, "startingDeadlineSeconds", max: JobRunSpec.MaxRunSeconds, positive: true);
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
