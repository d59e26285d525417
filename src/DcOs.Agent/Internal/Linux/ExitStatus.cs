using System.Globalization;

namespace DcOs.Agent.Internal.Linux;

/// <summary>How a process ended: an exit code, a signal, or unknown (the process was not ours to wait for).</summary>
internal readonly record struct ExitStatus(int? Code, int? Signal)
{
    /// <summary>The process is gone and nobody recorded how it ended.</summary>
    public static ExitStatus Unknown => default;

    public bool IsKnown => Code.HasValue || Signal.HasValue;

    public bool IsSuccess => Code == 0;

    public static ExitStatus Exited(int code) => new(code, null);

    public static ExitStatus Killed(int signal) => new(null, signal);

    /// <summary>
    /// Reads a status written by the task wrapper ("$?" of a POSIX shell). Shells report a child killed by signal n as
    /// 128 + n, so 129..192 are read as signals, as shells themselves do; a program exiting with such a code on purpose
    /// is reported as killed by that signal (documented in docs/agent.md).
    /// </summary>
    public static ExitStatus FromShellStatus(int status) =>
        status is > 128 and <= 128 + 64 ? Killed(status - 128) : Exited(status);

    public static bool TryParseShellStatus(string? text, out ExitStatus status)
    {
        status = Unknown;
        if (!int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code > 255) return false;
        status = FromShellStatus(code);
        return true;
    }

    /// <summary>"exited with status 3", "killed by signal 9 (SIGKILL)", "exit status unknown".</summary>
    public string Describe() =>
        Signal is { } s ? string.Create(CultureInfo.InvariantCulture, $"killed by signal {s} ({Signals.Name(s)})")
        : Code is { } c ? string.Create(CultureInfo.InvariantCulture, $"exited with status {c}")
        : "exit status unknown";

    public override string ToString() => Describe();
}
