using System.Globalization;
using System.Text.Json.Serialization;
using DcOs.Core;
using DcOs.Frameworks.Internal;
using DcOs.Core.Placement;

namespace DcOs.Frameworks.Services;

/// <summary>An app as users write it, with Marathon's field names.</summary>
public sealed record AppDefinition
{
    /// <summary>The app's id, Marathon-style: '/'-separated parts of lowercase labels ("/team/web").</summary>
    public string Id { get; init; } = "";
    /// <summary>Shell text, run with <c>/bin/sh -c</c>; exclusive with <see cref="Args"/>.</summary>
    public string? Cmd { get; init; }
    /// <summary>Program and arguments, executed without a shell; exclusive with <see cref="Cmd"/>.</summary>
    public List<string>? Args { get; init; }
    /// <summary>Cpus of one instance. Default 1.</summary>
    public double Cpus { get; init; } = 1;
    /// <summary>Memory of one instance, in MiB. Default 128.</summary>
    public double Mem { get; init; } = 128;
    /// <summary>Disk of one instance, in MiB.</summary>
    public double Disk { get; init; }
    /// <summary>GPUs of one instance: up to 1 is a share of one device (0.5: half a GPU), more must be whole devices.</summary>
    public double Gpus { get; init; }
    /// <summary>The GPU model an instance needs (e.g. "A100"), matched ignoring case; null: any model.</summary>
    public string? GpuModel { get; init; }
    /// <summary>How many instances to keep running. Default 1.</summary>
    public int Instances { get; init; } = 1;
    /// <summary>The ports an instance needs: 0 for any free one, else that port; given to it as PORT0..n.</summary>
    public List<int>? Ports { get; init; }
    /// <summary>Environment variables of each instance.</summary>
    public Dictionary<string, string>? Env { get; init; }
    /// <summary>The Unix user the instances run as (Marathon's <c>user</c>); null: the agent's default (<c>nobody</c>).</summary>
    public string? User { get; init; }
    /// <summary>Placement constraints, Marathon-style (<c>["hostname", "UNIQUE"]</c>).</summary>
    public List<List<string>>? Constraints { get; init; }
    /// <summary>At most one health check.</summary>
    public List<AppHealthCheck>? HealthChecks { get; init; }
    /// <summary>How an instance picks among offers: cheapest (default), fastest or pack.</summary>
    [JsonConverter(typeof(CostObjectiveJsonConverter))]
    public ObjectiveKind CostObjective { get; init; } = ObjectiveKind.Cheapest;
    /// <summary>How a new version replaces the old one.</summary>
    public UpgradeStrategy? UpgradeStrategy { get; init; }
    /// <summary>Delay before relaunching a failed instance, in seconds. Default 1.</summary>
    public double BackoffSeconds { get; init; } = 1;
    /// <summary>How much the delay grows after each failure. Default 1.15.</summary>
    public double BackoffFactor { get; init; } = 1.15;
    /// <summary>The longest delay, in seconds. Default 300.</summary>
    public double MaxLaunchDelaySeconds { get; init; } = 300;
    /// <summary>Seconds between SIGTERM and SIGKILL when an instance is killed. Default 3.</summary>
    public double KillGracePeriodSeconds { get; init; } = 3;

    /// <summary>When an unreachable instance is replaced and when it is given up on (Marathon's defaults: 300 s, 600 s).</summary>
    public UnreachableStrategy? UnreachableStrategy { get; init; }

    /// <summary>
    /// Which instances go first when there are more than wanted (scaling down, or a replaced instance that came back):
    /// <c>YOUNGEST_FIRST</c> (default) or <c>OLDEST_FIRST</c>, as in Marathon.
    /// </summary>
    public string KillSelection { get; init; } = "YOUNGEST_FIRST";

    /// <summary>The id without slashes, safe in task ids: "/team/web" becomes "team_web".</summary>
    [JsonIgnore]
    public string Key => Id.Trim('/').Replace('/', '_');

    /// <summary>The longest app id key: its task ids ("key.v2147483647.0123456789ab") must fit in an id.</summary>
    public const int MaxKeyLength = IdText.MaxLength - 25;

    /// <summary>The most instances one app may ask for.</summary>
    public const int MaxInstances = 100_000;

    /// <summary>
    /// Checks every field, and that an instance could be launched (the task it becomes passes the master's checks);
    /// throws <see cref="ValidationException"/> naming the first field at fault.
    /// </summary>
    public AppDefinition Validate()
    {
        var key = Id?.Trim('/') ?? "";
        if (key.Length == 0) throw new ValidationException("id", "is required (e.g. \"/web\")");
        foreach (var segment in key.Split('/'))
        {
            if (!DefinitionRules.IsIdSegment(segment))
                throw new ValidationException("id", $"\"{Id}\": each part between '/' is lowercase letters, digits and '-', in labels separated by '.' (Marathon's rule)");
        }
        if (key.Length > MaxKeyLength) throw new ValidationException("id", $"must be at most {MaxKeyLength} characters without its slashes (got {key.Length}): task ids are made from it");
        if (string.IsNullOrWhiteSpace(Cmd) && (Args is null || Args.Count == 0)) throw new ValidationException("cmd", "is required (or args)");
        if (Cmd is not null && Args is { Count: > 0 }) throw new ValidationException("cmd", "give cmd or args, not both");
        DefinitionRules.Amount(Cpus, "cpus", DefinitionRules.MaxCpus);
        DefinitionRules.Amount(Mem, "mem", DefinitionRules.MaxMemMb);
        DefinitionRules.Amount(Disk, "disk", DefinitionRules.MaxDiskMb);
        DefinitionRules.Gpus(Gpus, GpuModel);
        if (Cpus <= 0 && Mem <= 0) throw new ValidationException("cpus", "an app needs cpus or mem greater than zero");
        if (Instances < 0) throw new ValidationException("instances", $"must not be negative (got {Instances})");
        if (Instances > MaxInstances) throw new ValidationException("instances", $"must be at most {MaxInstances} (got {Instances})");
        if (Ports is not null)
        {
            if (Ports.Count > 100) throw new ValidationException("ports", $"an app has at most 100 ports (got {Ports.Count})");
            for (var i = 0; i < Ports.Count; i++)
                if (Ports[i] is < 0 or > 65535) throw new ValidationException($"ports[{i}]", $"must be 0 (any) or a port number, not {Ports[i]}");
        }
        if (CostObjective is not (ObjectiveKind.Cheapest or ObjectiveKind.Fastest or ObjectiveKind.Pack))
            throw new ValidationException("costObjective", $"must be cheapest, fastest or pack (got \"{CostObjective.Name()}\")");
        if (Constraints is not null)
        {
            for (var i = 0; i < Constraints.Count; i++) PlacementConstraint.FromParts(Constraints[i] ?? [], $"constraints[{i}]");
        }
        if (HealthChecks is { Count: > 1 }) throw new ValidationException("healthChecks", $"a DcOs app has at most one health check (got {HealthChecks.Count})");
        if (HealthChecks is not null)
        {
            for (var i = 0; i < HealthChecks.Count; i++) HealthChecks[i].ToSpec($"healthChecks[{i}]", PortCount).Validate($"healthChecks[{i}]");
        }
        if (UpgradeStrategy is { } u)
        {
            if (u.MinimumHealthCapacity is < 0 or > 1) throw new ValidationException("upgradeStrategy.minimumHealthCapacity", "must be between 0 and 1");
            if (u.MaximumOverCapacity is < 0 or > 1) throw new ValidationException("upgradeStrategy.maximumOverCapacity", "must be between 0 and 1");
        }
        DefinitionRules.Seconds(BackoffSeconds, "backoffSeconds", max: 3600, positive: true);
        if (!double.IsFinite(BackoffFactor) || BackoffFactor < 1 || BackoffFactor > 100) throw new ValidationException("backoffFactor", $"must be between 1 and 100 (got {BackoffFactor.ToString(CultureInfo.InvariantCulture)})");
        DefinitionRules.Seconds(MaxLaunchDelaySeconds, "maxLaunchDelaySeconds", min: BackoffSeconds);
        DefinitionRules.Seconds(KillGracePeriodSeconds, "killGracePeriodSeconds");
        if (UnreachableStrategy is { } unreachable)
        {
            DefinitionRules.Seconds(unreachable.InactiveAfterSeconds, "unreachableStrategy.inactiveAfterSeconds", min: 1, max: 7 * DefinitionRules.MaxSeconds);
            DefinitionRules.Seconds(unreachable.ExpungeAfterSeconds, "unreachableStrategy.expungeAfterSeconds", min: unreachable.InactiveAfterSeconds, max: 7 * DefinitionRules.MaxSeconds);
        }
        if (KillSelection is not ("YOUNGEST_FIRST" or "OLDEST_FIRST"))
            throw new ValidationException("killSelection", $"must be YOUNGEST_FIRST or OLDEST_FIRST (got \"{KillSelection}\")");
        DefinitionRules.EnvironmentNames(Env, "env");
        if (User is not null)
        {
            try
            {
                _ = (CommandSpec.FromShell("x") with { User = User }).Validate("command");
            }
            catch (ValidationException e)
            {
                throw new ValidationException("user", e.Reason);
            }
        }
        // Everything a launch checks, on the task an instance becomes (with the longest id and the most ports it can get).
        var longestId = new TaskId(key.Replace('/', '_') + ".v" + int.MaxValue.ToString(CultureInfo.InvariantCulture) + "." + new string('0', 12));
        var ports = PortCount == 0 ? RangeSet.Empty : RangeSet.Create([new ValueRange(1, (ulong)PortCount)]);
        DefinitionRules.Launchable(ToTask(longestId, ports, int.MaxValue), Args is { Count: > 0 } ? "args" : "cmd");
        return this;
    }

    /// <summary>How many ports an instance gets.</summary>
    [JsonIgnore]
    public int PortCount => Ports?.Count ?? 0;

    /// <summary>The resources of one instance, ports aside.</summary>
    [JsonIgnore]
    public Resources Resources => Resources.FromScalars(Cpus, Mem, Disk, Gpus);

    /// <summary>The task spec of one instance, with the ports it was given.</summary>
    public TaskSpec ToTask(TaskId id, RangeSet ports, int version)
    {
        var resources = Resources;
        if (!ports.IsEmpty) resources = resources.Add(Resource.OfRanges(ResourceNames.Ports, ports));
        var command = Args is { Count: > 0 } ? CommandSpec.FromArgv([.. Args]) : CommandSpec.FromShell(Cmd!);
        return new TaskSpec
        {
            Id = id,
            Name = Id,
            Command = command with { Environment = Env ?? new Dictionary<string, string>(), User = User },
            Resources = resources,
            GpuModel = GpuModel,
            Constraints = [.. (Constraints ?? []).Select((c, i) => PlacementConstraint.FromParts(c, $"constraints[{i}]"))],
            HealthCheck = HealthChecks is { Count: > 0 } ? HealthChecks[0].ToSpec("healthChecks[0]", PortCount) : null,
            KillGracePeriod = TimeSpan.FromSeconds(KillGracePeriodSeconds),
            Labels = new Dictionary<string, string> { [TaskLabels.Group] = Id, ["app"] = Id, ["version"] = version.ToString(CultureInfo.InvariantCulture) },
        };
    }

}

/// <summary>
/// What happens to an instance whose agent is unreachable (Marathon's unreachableStrategy): after
/// <see cref="InactiveAfterSeconds"/> it no longer counts and a replacement is launched; after
/// <see cref="ExpungeAfterSeconds"/> it is forgotten, and killed if it ever comes back. One that returns in between is
/// an extra instance, and <see cref="AppDefinition.KillSelection"/> picks which goes.
/// </summary>
public sealed record UnreachableStrategy
{
    /// <summary>Seconds unreachable after which the instance is replaced (at least 1). Default 300.</summary>
    public double InactiveAfterSeconds { get; init; } = 300;

    /// <summary>Seconds unreachable after which it is given up on (at least <see cref="InactiveAfterSeconds"/>). Default 600.</summary>
    public double ExpungeAfterSeconds { get; init; } = 600;
}

/// <summary>How a new version of an app replaces the old one (Marathon's upgradeStrategy).</summary>
public sealed record UpgradeStrategy
{
    /// <summary>The share of instances that must stay healthy during an upgrade (0 to 1). Default 1.</summary>
    public double MinimumHealthCapacity { get; init; } = 1;
    /// <summary>The share of extra instances an upgrade may start (0 to 1). Default 1.</summary>
    public double MaximumOverCapacity { get; init; } = 1;
}

/// <summary>A health check with Marathon's field names.</summary>
public sealed record AppHealthCheck
{
    /// <summary>HTTP, TCP or COMMAND (MESOS_HTTP and MESOS_TCP are read as HTTP and TCP). Default HTTP.</summary>
    public string Protocol { get; init; } = "HTTP";
    /// <summary>The path an HTTP check requests. Default "/".</summary>
    public string Path { get; init; } = "/";
    /// <summary>Which of the instance's ports is checked. Default 0.</summary>
    public int PortIndex { get; init; }
    /// <summary>A fixed port to check instead of <see cref="PortIndex"/>.</summary>
    public int? Port { get; init; }
    /// <summary>What a COMMAND check runs.</summary>
    public AppCommand? Command { get; init; }
    /// <summary>Seconds after start during which failures do not count. Default 300.</summary>
    public double GracePeriodSeconds { get; init; } = 300;
    /// <summary>Seconds between checks. Default 60.</summary>
    public double IntervalSeconds { get; init; } = 60;
    /// <summary>Seconds a check may take. Default 20.</summary>
    public double TimeoutSeconds { get; init; } = 20;
    /// <summary>Failures in a row after which the instance is killed. Default 3.</summary>
    public int MaxConsecutiveFailures { get; init; } = 3;
    /// <summary>Seconds before the first check. Default 15.</summary>
    public double DelaySeconds { get; init; } = 15;

    /// <summary>The agent's health check for this definition; <paramref name="field"/> prefixes errors, <paramref name="portCount"/> bounds the port index.</summary>
    public HealthCheckSpec ToSpec(string field, int portCount)
    {
        var kind = Protocol?.ToUpperInvariant() switch
        {
            "HTTP" or "MESOS_HTTP" => HealthCheckKind.Http,
            "TCP" or "MESOS_TCP" => HealthCheckKind.Tcp,
            "COMMAND" => HealthCheckKind.Command,
            _ => throw new ValidationException(field + ".protocol", $"must be HTTP, TCP or COMMAND (got \"{Protocol}\")"),
        };
        if (kind != HealthCheckKind.Command && Port is null && PortIndex >= portCount)
            throw new ValidationException(field + ".portIndex", $"is {PortIndex} but the app has {portCount} ports");
        foreach (var (v, name) in new[] { (GracePeriodSeconds, "gracePeriodSeconds"), (IntervalSeconds, "intervalSeconds"), (TimeoutSeconds, "timeoutSeconds"), (DelaySeconds, "delaySeconds") })
            DefinitionRules.Seconds(v, $"{field}.{name}");
        if (MaxConsecutiveFailures is < 0 or > 1000) throw new ValidationException(field + ".maxConsecutiveFailures", $"must be between 0 and 1000 (got {MaxConsecutiveFailures})");
        if (PortIndex < 0) throw new ValidationException(field + ".portIndex", $"must not be negative (got {PortIndex})");
        if (Port is < 1 or > 65535) throw new ValidationException(field + ".port", $"must be a port number (got {Port})");
        return new HealthCheckSpec
        {
            Kind = kind,
            Path = Path,
            PortIndex = PortIndex,
            Port = Port,
            Command = kind == HealthCheckKind.Command ? CommandSpec.FromShell(Command?.Value ?? throw new ValidationException(field + ".command", "a COMMAND check needs command.value")) : null,
            GracePeriod = TimeSpan.FromSeconds(GracePeriodSeconds),
            Interval = TimeSpan.FromSeconds(Math.Max(IntervalSeconds, 0.1)),
            Timeout = TimeSpan.FromSeconds(Math.Max(TimeoutSeconds, 0.1)),
            ConsecutiveFailures = MaxConsecutiveFailures,
            Delay = TimeSpan.FromSeconds(DelaySeconds),
        };
    }
}

/// <summary>A COMMAND health check's command.</summary>
public sealed record AppCommand
{
    /// <summary>Shell text.</summary>
    public string? Value { get; init; }
}
