using DcOs.Core;

namespace DcOs.Simulation;

/// <summary>
/// What a simulated task does once an agent launched it, on the simulator's clock: TASK_STARTING at once,
/// TASK_RUNNING after <see cref="StartupDelay"/>, then (when <see cref="RunFor"/> is set) an exit with
/// <see cref="ExitCode"/>: TASK_FINISHED for 0, TASK_FAILED otherwise; a kill ends it as TASK_KILLED at any time.
/// </summary>
public sealed record SimulatedTaskBehavior
{
    /// <summary>Runs until it is killed (the default: a long-running service).</summary>
    public static SimulatedTaskBehavior UntilKilled { get; } = new();

    /// <summary>Runs for <paramref name="after"/>, then exits with <paramref name="exitCode"/>.</summary>
    public static SimulatedTaskBehavior Exit(TimeSpan after, int exitCode = 0) => new() { RunFor = after, ExitCode = exitCode };

    /// <summary>Fails to start (TASK_FAILED, reason COMMAND_FAILED_TO_START) with <paramref name="message"/>.</summary>
    public static SimulatedTaskBehavior FailToStart(string message) => new() { StartFailure = message };

    /// <summary>Time from TASK_STARTING to TASK_RUNNING. Default none.</summary>
    public TimeSpan StartupDelay { get; init; }

    /// <summary>How long it runs before it exits on its own; null (the default) runs until killed.</summary>
    public TimeSpan? RunFor { get; init; }

    /// <summary>The exit code when it exits on its own: 0 is TASK_FINISHED, anything else TASK_FAILED.</summary>
    public int ExitCode { get; init; }

    /// <summary>When set, the task never runs: TASK_FAILED with this message right after TASK_STARTING.</summary>
    public string? StartFailure { get; init; }

    /// <summary>Throws a <see cref="ValidationException"/> naming the first field out of range.</summary>
    public SimulatedTaskBehavior Validate()
    {
        if (StartupDelay < TimeSpan.Zero) throw new ValidationException(nameof(StartupDelay), "must not be negative");
        if (RunFor is { } run && run < TimeSpan.Zero) throw new ValidationException(nameof(RunFor), "must not be negative");
        return this;
    }
}
