using System.Globalization;
using System.Text;

namespace DcOs.Cli;

/// <summary>One option of a command: a flag (<see cref="ValueName"/> null) or an option taking a value.</summary>
internal sealed record OptionSpec(string Name, string? ValueName, string Help)
{
    public bool TakesValue => ValueName is not null;

    public string Usage => TakesValue ? $"{Name} {ValueName}" : Name;
}

/// <summary>A command: <c>dcos GROUP NAME ARGS [OPTIONS]</c>, or <c>dcos GROUP ARGS</c> when <see cref="Name"/> is null.</summary>
internal sealed record CommandSpec(
    string Group,
    string? Name,
    string ArgsUsage,
    string Summary,
    int MinArgs,
    int MaxArgs,
    IReadOnlyList<OptionSpec> Options,
    Func<CommandContext, ParsedArgs, Task<int>> Handler,
    string? Details = null)
{
    public string FullName => Name is null ? Group : $"{Group} {Name}";

    public string UsageLine
    {
        get
        {
            var text = new StringBuilder("dcos ").Append(FullName);
            if (ArgsUsage.Length > 0) text.Append(' ').Append(ArgsUsage);
            foreach (var option in Options) text.Append(" [").Append(option.Usage).Append(']');
            return text.Append(" [--json] [--master URL]").ToString();
        }
    }
}

/// <summary>A group of commands (<c>app</c>, <c>job</c>, ...), or a single command such as <c>debug</c>.</summary>
internal sealed record CommandGroup(string Name, string Summary, IReadOnlyList<CommandSpec> Commands)
{
    /// <summary>True for <c>debug</c>: the group is the command, no sub-command name follows.</summary>
    public bool IsSingle => Commands.Count == 1 && Commands[0].Name is null;
}

/// <summary>The positional arguments and options of one command line, after the command name.</summary>
internal sealed class ParsedArgs
{
    private readonly Dictionary<string, string?> _options;

    public ParsedArgs(CommandSpec command, IReadOnlyList<string> positionals, Dictionary<string, string?> options)
    {
        Command = command;
        Positionals = positionals;
        _options = options;
    }

    /// <summary>The command these arguments are for (for usage errors).</summary>
    public CommandSpec Command { get; }

    public IReadOnlyList<string> Positionals { get; }

    public string this[int index] => Positionals[index];

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Value(string name) => _options.GetValueOrDefault(name);
}

/// <summary>Global options, valid anywhere on the line.</summary>
internal sealed record GlobalOptions(string? Master, bool Json, bool Help, bool Version);

/// <summary>A small hand-written parser: <c>--name value</c>, <c>--name=value</c>, flags, <c>--</c>, and numbers as positionals.</summary>
internal static class ArgParser
{
    /// <summary>Takes the global options out of <paramref name="args"/>; returns them and the remaining tokens.</summary>
    public static (GlobalOptions Globals, List<string> Remaining) ExtractGlobals(IReadOnlyList<string> args)
    {
        string? master = null;
        bool json = false, help = false, version = false;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (token == "--")
            {
                rest.AddRange(args.Skip(i));
                break;
            }
            var (name, inline) = Split(token);
            switch (name)
            {
                case "--json":
                    if (inline is not null) throw new UsageException("--json does not take a value");
                    json = true;
                    break;
                case "-h" or "--help" or "-?":
                    help = true;
                    break;
                case "--version":
                    version = true;
                    break;
                case "--master":
                    if (inline is not null) master = inline;
                    else if (i + 1 < args.Count && !IsOption(args[i + 1])) master = args[++i];
                    else throw new UsageException("--master needs a URL, e.g. --master http://127.0.0.1:5080");
                    if (master.Length == 0) throw new UsageException("--master needs a URL, e.g. --master http://127.0.0.1:5080");
                    break;
                default:
                    rest.Add(token);
                    break;
            }
        }
        return (new GlobalOptions(master, json, help, version), rest);
    }

    /// <summary>
    /// The first <paramref name="count"/> positional tokens (the command words), skipping options and the values of
    /// any option in <paramref name="valueOptions"/>; returns them and the tokens left for the command.
    /// </summary>
    public static (List<string> Words, List<string> Remaining) TakeCommandWords(List<string> tokens, int count, ISet<string> valueOptions)
    {
        var words = new List<string>();
        var rest = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (words.Count < count && token != "--" && !IsOption(token))
            {
                words.Add(token);
                continue;
            }
            rest.Add(token);
            var (name, inline) = Split(token);
            if (IsOption(token) && inline is null && valueOptions.Contains(name) && i + 1 < tokens.Count) rest.Add(tokens[++i]);
        }
        return (words, rest);
    }

    /// <summary>Parses the tokens after the command name against the command's options.</summary>
    public static ParsedArgs Parse(CommandSpec command, IReadOnlyList<string> tokens)
    {
        var positionals = new List<string>();
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token == "--")
            {
                positionals.AddRange(tokens.Skip(i + 1));
                break;
            }
            if (!IsOption(token))
            {
                positionals.Add(token);
                continue;
            }
            var (name, inline) = Split(token);
            var spec = command.Options.FirstOrDefault(o => o.Name == name)
                ?? throw new UsageException($"unknown option '{name}' for '{command.FullName}'", command);
            if (!spec.TakesValue)
            {
                if (inline is not null) throw new UsageException($"{name} does not take a value", command);
                options[name] = null;
                continue;
            }
            string value;
            if (inline is not null) value = inline;
            else if (i + 1 < tokens.Count && !IsOption(tokens[i + 1])) value = tokens[++i];
            else throw new UsageException($"{name} needs a value ({spec.ValueName})", command);
            options[name] = value;
        }
        if (positionals.Count < command.MinArgs)
        {
            var names = command.ArgsUsage.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var missing = positionals.Count < names.Length ? names[positionals.Count] : "argument";
            throw new UsageException($"'{command.FullName}' needs {missing}", command);
        }
        if (positionals.Count > command.MaxArgs)
            throw new UsageException($"unexpected argument '{positionals[command.MaxArgs]}' for '{command.FullName}'", command);
        return new ParsedArgs(command, positionals, options);
    }

    /// <summary>"-x" or "--name" but not "-" (stdin) and not a negative number.</summary>
    public static bool IsOption(string token) =>
        token.Length > 1 && token[0] == '-' && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static (string Name, string? Inline) Split(string token)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal)) return (token, null);
        var eq = token.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (token, null) : (token[..eq], token[(eq + 1)..]);
    }
}
