namespace DcOs.Core;

/// <summary>A task health check. Timing defaults are Mesos' (delay 15 s, interval 10 s, timeout 20 s, 3 failures, grace 10 s).</summary>
public sealed record HealthCheckSpec
{
    /// <summary>Command, HTTP or TCP.</summary>
    public HealthCheckKind Kind { get; init; }

    /// <summary>The command to run, for <see cref="HealthCheckKind.Command"/>.</summary>
    public CommandSpec? Command { get; init; }

    /// <summary>Index into the task's assigned ports (PORT0 is 0), for HTTP and TCP checks, when <see cref="Port"/> is not set.</summary>
    public int PortIndex { get; init; }

    /// <summary>A fixed port to probe, for HTTP and TCP checks; overrides <see cref="PortIndex"/>.</summary>
    public int? Port { get; init; }

    /// <summary>The HTTP path, for <see cref="HealthCheckKind.Http"/>.</summary>
    public string Path { get; init; } = "/";

    /// <summary>Wait before the first check.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Time between checks.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one check may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Consecutive failures (after the grace period) after which the task is killed.</summary>
    public int ConsecutiveFailures { get; init; } = 3;

    /// <summary>Time from task start during which failures are not counted.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks every field; throws naming the first one at fault.</summary>
    public HealthCheckSpec Validate(string field = "healthCheck")
    {
        if (!Enum.IsDefined(Kind)) Guard.Fail(field + ".kind", $"unknown kind {(int)Kind}");
        if (Kind == HealthCheckKind.Command)
        {
            if (Command is null) Guard.Fail(field + ".command", "a command health check needs a command");
            Command.Validate(field + ".command");
        }
        if (Kind == HealthCheckKind.Http && (string.IsNullOrEmpty(Path) || Path[0] != '/'))
            Guard.Fail(field + ".path", "must start with '/'");
        if (PortIndex < 0) Guard.Fail(field + ".portIndex", "must not be negative");
        if (Port is < 1 or > 65535) Guard.Fail(field + ".port", "must be between 1 and 65535");
        Guard.NonNegative(Delay, field + ".delay");
        Guard.NonNegative(GracePeriod, field + ".gracePeriod");
        if (Interval <= TimeSpan.Zero) Guard.Fail(field + ".interval", "must be positive");
        if (Timeout <= TimeSpan.Zero) Guard.Fail(field + ".timeout", "must be positive");
        if (ConsecutiveFailures < 1) Guard.Fail(field + ".consecutiveFailures", "must be at least 1");
        return this;
    }
}
