using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DcOs.Cli;

/// <summary>
/// A <c>dcos</c> command: a System.CommandLine command whose handler <see cref="Cli.RunAsync(string[], TextWriter, TextWriter, HttpMessageHandler?, IDictionary{string, string?}?, CancellationToken)"/>
/// runs with the run's <see cref="CommandContext"/>, and an optional paragraph help shows under the description.
/// </summary>
internal sealed class CliCommand : Command
{
    public CliCommand(string name, string description, string? details = null)
        : base(name, description)
    {
        Details = details;
    }

    /// <summary>Longer help (an example, what the output means), shown by <c>--help</c> only.</summary>
    public string? Details { get; }

    /// <summary>Sets what the command does; returns the command for collection initialisers.</summary>
    public CliCommand Runs(Func<CommandContext, ParseResult, Task<int>> handler)
    {
        Action = new CommandHandler(handler);
        return this;
    }
}

/// <summary>
/// The action of a <see cref="CliCommand"/>. Cli.RunAsync calls <see cref="Handler"/> itself, with the output, master
/// client and cancellation of the run; System.CommandLine's own invocation is only used for help and version.
/// </summary>
internal sealed class CommandHandler(Func<CommandContext, ParseResult, Task<int>> handler) : SynchronousCommandLineAction
{
    public Func<CommandContext, ParseResult, Task<int>> Handler { get; } = handler;

    public override int Invoke(ParseResult parseResult) =>
        throw new InvalidOperationException("dcos commands run through Cli.RunAsync, which gives them their context");
}

/// <summary>Arguments and options with the value checks and wording every command shares.</summary>
internal static class Symbols
{
    /// <summary>A required positional argument shown as <c>&lt;name&gt;</c>.</summary>
    public static Argument<string> Required(string name, string description) => new(name) { Description = description };

    /// <summary>An option taking a value shown as <paramref name="valueName"/>.</summary>
    public static Option<string> Value(string name, string valueName, string description) =>
        new(name) { Description = description, HelpName = valueName };

    /// <summary>A flag: present or not.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>A whole number of 0 or more; anything else is a usage error naming <paramref name="what"/>.</summary>
    public static Argument<int> WholeNumber(string name, string description, string what) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
            result.AddError($"{what} must be a whole number of 0 or more (got '{text}')");
            return 0;
        },
    };

    /// <summary>A duration in seconds (<c>120</c>, <c>90s</c>, <c>5m</c>, <c>1h</c>, <c>500ms</c>); null when not given.</summary>
    public static Option<TimeSpan?> Duration(string name, string description, string error) => new(name)
    {
        Description = description,
        HelpName = "SECONDS",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (ParseDuration(text) is { } duration) return duration;
            result.AddError($"{name}: '{text}' {error}");
            return null;
        },
    };

    /// <summary>A whole number within [<paramref name="min"/>, <paramref name="max"/>]; null when not given.</summary>
    public static Option<long?> Bounded(string name, string valueName, string description, long min, long max, string error) => new(name)
    {
        Description = description,
        HelpName = valueName,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
            result.AddError($"{name} {error} (got '{text}')");
            return null;
        },
    };

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
}

/// <summary><c>--wait</c>, <c>--no-wait</c> and <c>--timeout</c> of the commands that wait for a deployment.</summary>
internal sealed class WaitOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    private readonly Option<bool> _wait = Symbols.Flag("--wait", "wait until every instance runs (the default)");
    private readonly Option<bool> _noWait = Symbols.Flag("--no-wait", "return as soon as the master accepted the change");
    private readonly Option<TimeSpan?> _timeout = Symbols.Duration("--timeout", "how long to wait (default 120; also 90s, 5m); exit 4 when it runs out",
        "is not a positive number of seconds (e.g. 120, 90s, 5m)");

    /// <summary>Adds the three options to <paramref name="command"/>, and the rule that --wait and --no-wait exclude each other.</summary>
    public CliCommand AddTo(CliCommand command)
    {
        command.Options.Add(_wait);
        command.Options.Add(_noWait);
        command.Options.Add(_timeout);
        command.Validators.Add(result =>
        {
            if (result.GetResult(_wait) is not null && result.GetResult(_noWait) is not null) result.AddError("--wait and --no-wait contradict each other");
        });
        return command;
    }

    public (bool Wait, TimeSpan Timeout) Read(ParseResult result) => (!result.GetValue(_noWait), result.GetValue(_timeout) ?? DefaultTimeout);
}

/// <summary>
/// <c>--help</c>: System.CommandLine's help (description, usage, arguments, options, commands), then a command's
/// <see cref="CliCommand.Details"/>, and the exit codes on the top level.
/// </summary>
internal sealed class CliHelpAction : SynchronousCommandLineAction
{
    // Fixed width: help reads the same in a terminal, a pipe and a test.
    private readonly HelpAction _standard = new() { MaxWidth = 120 };

    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        _standard.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        var command = parseResult.CommandResult.Command;
        if (command is CliCommand { Details: { } details })
        {
            output.WriteLine("Details:");
            foreach (var line in details.Split('\n')) output.WriteLine(line.Length == 0 ? "" : "  " + line);
            output.WriteLine();
        }
        if (!command.Parents.Any())
        {
            output.WriteLine("Exit codes:");
            output.WriteLine("  0 ok, 1 error from the master or an invalid file, 2 usage error, 3 master unreachable, 4 timeout, 130 interrupted");
            output.WriteLine();
        }
        return ExitCodes.Ok;
    }
}
