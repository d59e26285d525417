using System.Globalization;

namespace DcOs.Cli.Commands;

/// <summary>Bits shared by the command groups.</summary>
internal static class CommandHelpers
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static readonly OptionSpec Wait = new("--wait", null, "wait until every instance runs (the default)");
    public static readonly OptionSpec NoWait = new("--no-wait", null, "return as soon as the master accepted the change");
    public static readonly OptionSpec Timeout = new("--timeout", "SECONDS", "how long to wait (default 120; also 90s, 5m); exit 4 when it runs out");

    public static IReadOnlyList<OptionSpec> WaitOptions { get; } = [Wait, NoWait, Timeout];

    /// <summary>Reads an app or job file; a missing or unreadable file is an error naming it.</summary>
    public static string ReadFile(string path)
    {
        try
        {
            if (Directory.Exists(path)) throw new CliException(ExitCodes.Error, $"{path}: is a directory, not a JSON file");
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            throw new CliException(ExitCodes.Error, $"{path}: no such file");
        }
        catch (DirectoryNotFoundException)
        {
            throw new CliException(ExitCodes.Error, $"{path}: no such file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Error, $"{path}: permission denied");
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.Error, $"{path}: {Output.OneLine(e.Message)}");
        }
    }

    /// <summary>Whether to wait for the deployment, and for how long.</summary>
    public static (bool Wait, TimeSpan Timeout) WaitSettings(ParsedArgs args, CommandSpec command)
    {
        if (args.Has("--wait") && args.Has("--no-wait")) throw new UsageException("--wait and --no-wait contradict each other", command);
        var timeout = DefaultTimeout;
        if (args.Value("--timeout") is { } text)
        {
            timeout = ParseDuration(text) ?? throw new UsageException($"--timeout: '{text}' is not a positive number of seconds (e.g. 120, 90s, 5m)", command);
        }
        return (!args.Has("--no-wait"), timeout);
    }

    public static TimeSpan? ParseDuration(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        var scale = 1.0;
        if (t.EndsWith("ms", StringComparison.Ordinal))
        {
            scale = 0.001;
            t = t[..^2];
        }
        else if (t.EndsWith('s'))
        {
            t = t[..^1];
        }
        else if (t.EndsWith('m'))
        {
            scale = 60;
            t = t[..^1];
        }
        else if (t.EndsWith('h'))
        {
            scale = 3600;
            t = t[..^1];
        }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value <= 0) return null;
        var seconds = value * scale;
        return seconds > 86400 * 7 ? null : TimeSpan.FromSeconds(seconds);
    }

    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(span.TotalSeconds < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " s";

    /// <summary>"a non-negative whole number" argument, or a usage error.</summary>
    public static int WholeNumber(string text, string what, CommandSpec command) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"{what} must be a whole number of 0 or more (got '{text}')", command);

    public static void PrintWarnings(CommandContext context, string fileName, IEnumerable<string> warnings)
    {
        foreach (var warning in warnings) context.Output.Warning($"{fileName}: {warning}");
    }
}
