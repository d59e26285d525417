using System.Globalization;
using System.Text.RegularExpressions;
using DcOs.Core;

namespace DcOs.Frameworks.Internal;

/// <summary>
/// The bounds an app or a job is held to when it is submitted, so that whatever is accepted can be launched: amounts a
/// machine can have, durations a clock can count, ids whose task ids still fit, names a shell can read. Each refusal
/// names the field (docs/http-api.md lists the bounds).
/// </summary>
internal static partial class DefinitionRules
{
    /// <summary>More cpus than any machine has (the largest today have a few hundred).</summary>
    public const double MaxCpus = 4096;

    /// <summary>64 TiB of memory, in MiB.</summary>
    public const double MaxMemMb = 64d * 1024 * 1024;

    /// <summary>1 PiB of disk, in MiB.</summary>
    public const double MaxDiskMb = 1024d * 1024 * 1024;

    /// <summary>GPUs per instance; whole ones only, as Mesos allocates them.</summary>
    public const double MaxGpus = 256;

    /// <summary>The smallest non-zero amount: resources are kept to three decimals, as in Mesos.</summary>
    public const double MinAmount = 0.001;

    /// <summary>Longest duration of a grace period, backoff, interval or timeout: a day.</summary>
    public const double MaxSeconds = 86_400;

    /// <summary>Checks one resource amount: finite, not negative, not below <see cref="MinAmount"/> unless zero, at most <paramref name="max"/>.</summary>
    public static void Amount(double value, string field, double max, bool whole = false)
    {
        if (!double.IsFinite(value)) throw new ValidationException(field, "must be a finite number");
        if (value < 0) throw new ValidationException(field, $"must not be negative (got {Text(value)})");
        if (value > 0 && value < MinAmount) throw new ValidationException(field, $"is below the smallest amount, {Text(MinAmount)} (got {Text(value)}); give 0 or at least {Text(MinAmount)}");
        if (value > max) throw new ValidationException(field, $"must be at most {Text(max)} (got {Text(value)})");
        if (whole && value != Math.Floor(value)) throw new ValidationException(field, $"must be a whole number (got {Text(value)})");
    }

    /// <summary>GPUs as a device takes them: a share of one device up to 1, whole devices above; a model only with GPUs.</summary>
    public static void Gpus(double gpus, string? model, string prefix = "")
    {
        Amount(gpus, prefix + "gpus", MaxGpus);
        if (gpus > 1 && gpus != Math.Floor(gpus)) throw new ValidationException(prefix + "gpus", $"more than one GPU must be a whole number of devices; up to 1 is a share of one device (got {Text(gpus)})");
        if (model is null) return;
        if (string.IsNullOrWhiteSpace(model) || model.Length > 256) throw new ValidationException(prefix + "gpuModel", "must be a model name of 1 to 256 characters");
        if (gpus <= 0) throw new ValidationException(prefix + "gpuModel", "is set but gpus is 0");
    }

    /// <summary>Checks a duration in seconds: finite, within [<paramref name="min"/>, <paramref name="max"/>] (positive when <paramref name="min"/> is 0 and <paramref name="positive"/>).</summary>
    public static void Seconds(double value, string field, double min = 0, double max = MaxSeconds, bool positive = false)
    {
        if (!double.IsFinite(value)) throw new ValidationException(field, "must be a finite number of seconds");
        if (positive ? value <= min : value < min) throw new ValidationException(field, $"must be {(positive ? "more than" : "at least")} {Text(min)} s (got {Text(value)})");
        if (value > max) throw new ValidationException(field, $"must be at most {Text(max)} s (got {Text(value)})");
    }

    /// <summary>Environment variable names a shell can read: a letter or '_', then letters, digits and '_'.</summary>
    public static void EnvironmentNames(IReadOnlyDictionary<string, string>? env, string field)
    {
        if (env is null) return;
        foreach (var name in env.Keys)
        {
            if (!EnvironmentName().IsMatch(name)) throw new ValidationException($"{field}.{name}", $"\"{name}\" is not a variable name (a letter or '_', then letters, digits and '_')");
        }
    }

    /// <summary>
    /// An id segment as Marathon and Metronome write them: lowercase letters, digits and '-', in labels separated by
    /// '.', each starting and ending with a letter or digit ("web", "api-v2", "prod.backup").
    /// </summary>
    public static bool IsIdSegment(string segment) => IdSegment().IsMatch(segment);

    /// <summary>
    /// The launch check at the door: the task an instance would become, with the longest id the framework makes for it,
    /// validated as the master will validate it. Fields are named as the definition names them.
    /// </summary>
    public static void Launchable(TaskSpec task, string commandField)
    {
        try
        {
            task.Validate();
        }
        catch (ValidationException e)
        {
            var field = (e.Field.StartsWith("task.", StringComparison.Ordinal) ? e.Field[5..] : e.Field) switch
            {
                "command" or "command.shell" => commandField,
                var f when f.StartsWith("command.argv", StringComparison.Ordinal) => "args" + f["command.argv".Length..],
                var f when f.StartsWith("command.environment", StringComparison.Ordinal) => EnvField(commandField) + f["command.environment".Length..],
                var f => f,
            };
            throw new ValidationException(field, e.Reason);
        }
    }

    private static string EnvField(string commandField) => commandField.StartsWith("run.", StringComparison.Ordinal) ? "run.env" : "env";

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();

    [GeneratedRegex(@"^([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])(\.([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9]))*$")]
    private static partial Regex IdSegment();
}
