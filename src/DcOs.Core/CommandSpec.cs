namespace DcOs.Core;

/// <summary>
/// What a task runs: either <see cref="Shell"/> text run with <c>/bin/sh -c</c>, or an <see cref="Argv"/> vector
/// executed directly; plus extra environment variables.
/// </summary>
public sealed record CommandSpec
{
    /// <summary>Shell text, run with <c>/bin/sh -c</c>. Exclusive with <see cref="Argv"/>.</summary>
    public string? Shell { get; init; }

    /// <summary>Program and arguments, executed without a shell. Exclusive with <see cref="Shell"/>.</summary>
    public IReadOnlyList<string>? Argv { get; init; }

    /// <summary>Environment variables added to the task's environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The Unix user the command runs as (Mesos' <c>CommandInfo.user</c>, Marathon's <c>user</c>); null: the agent's
    /// default task user (<c>nobody</c> unless configured). A name of letters, digits, '.', '_' and '-'.
    /// </summary>
    public string? User { get; init; }

    /// <summary>
    /// The longest single argument (or shell text, or NAME=value) Linux execs, in UTF-8 bytes: MAX_ARG_STRLEN (32
    /// pages) less its NUL. A longer one fails every launch with E2BIG ("Argument list too long").
    /// </summary>
    public const int MaxArgumentBytes = 131_071;

    /// <summary>
    /// The most the command's arguments and environment may take together, in UTF-8 bytes: half of the usual ARG_MAX
    /// (2 MiB with an 8 MiB stack), the rest left to the environment the agent adds.
    /// </summary>
    public const int MaxTotalBytes = 1 << 20;

    /// <summary>A shell command.</summary>
    public static CommandSpec FromShell(string text) => new() { Shell = text };

    /// <summary>An argv command.</summary>
    public static CommandSpec FromArgv(params string[] argv) => new() { Argv = argv };

    /// <summary>Checks every field, and that the kernel could exec it; throws naming the first one at fault.</summary>
    public CommandSpec Validate(string field = "command")
    {
        if (Shell is null == Argv is null) Guard.Fail(field, "give exactly one of shell text or argv");
        long total = 0;
        if (Shell is not null)
        {
            Guard.NotEmpty(Shell, field + ".shell");
            if (Shell.Contains('\0')) Guard.Fail(field + ".shell", "must be text without NUL characters");
            total += ExecBytes(Shell, field + ".shell");
        }
        if (Argv is not null)
        {
            if (Argv.Count == 0) Guard.Fail(field + ".argv", "must name the program to run");
            Guard.NotEmpty(Argv[0], field + ".argv[0]");
            for (var i = 0; i < Argv.Count; i++)
            {
                if (Argv[i] is null || Argv[i].Contains('\0')) Guard.Fail($"{field}.argv[{i}]", "must be text without NUL characters");
                total += ExecBytes(Argv[i], $"{field}.argv[{i}]");
            }
        }
        if (User is not null && !IsUserName(User))
            Guard.Fail(field + ".user", $"\"{User}\" is not a user name (letters, digits, '.', '_' and '-', at most 32, not starting with '-')");
        ArgumentNullException.ThrowIfNull(Environment);
        foreach (var (name, value) in Environment)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=') || name.Contains('\0'))
                Guard.Fail(field + ".environment", $"\"{name}\" is not a valid variable name");
            if (value is null || value.Contains('\0')) Guard.Fail($"{field}.environment.{name}", "must be text without NUL characters");
            total += ExecBytes(name + "=" + value, $"{field}.environment.{name}");
        }
        if (total > MaxTotalBytes)
            Guard.Fail(field, $"arguments and environment take {total:N0} bytes; a task's may take at most {MaxTotalBytes:N0} (the kernel's ARG_MAX is shared with the agent's environment)");
        return this;
    }

    /// <summary>The bytes one exec string takes; fails when it is longer than the kernel passes.</summary>
    private static int ExecBytes(string text, string field)
    {
        // Each char is at most 3 UTF-8 bytes: only long strings need counting.
        if (text.Length * 3L <= MaxArgumentBytes) return System.Text.Encoding.UTF8.GetByteCount(text) + 1;
        var bytes = System.Text.Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxArgumentBytes) Guard.Fail(field, $"is {bytes:N0} bytes; the kernel passes at most {MaxArgumentBytes:N0} bytes in one argument (MAX_ARG_STRLEN)");
        return bytes + 1;
    }

    private static bool IsUserName(string name) =>
        name.Length is > 0 and <= 32 && name[0] != '-' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
