using System.Reflection;
using DcOs.Cli.Commands;

namespace DcOs.Cli;

/// <summary>The <c>dcos</c> entry point, callable from tests with captured output and a fake HTTP handler.</summary>
public static class Cli
{
    /// <summary>The environment variable that names the master when <c>--master</c> is not given.</summary>
    public const string MasterVariable = "DCOS_MASTER";

    /// <summary>How long one HTTP request may take before the master counts as unreachable.</summary>
    internal static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Every command group, in the order help lists them.</summary>
    internal static readonly IReadOnlyList<CommandGroup> Groups =
    [
        NodeCommands.Group,
        TaskCommands.Group,
        AppCommands.Group,
        JobCommands.Group,
        ClusterCommands.Group,
        DebugCommand.Group,
    ];

    /// <summary>The tool's version, without build metadata.</summary>
    public static string Version { get; } =
        (typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    /// <summary>Runs one command line; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    /// <param name="args">The arguments after <c>dcos</c>.</param>
    /// <param name="stdout">Where tables and <c>--json</c> output go.</param>
    /// <param name="stderr">Where errors and warnings go.</param>
    /// <param name="handler">The HTTP handler to the master; null for a real connection.</param>
    /// <param name="environment">The environment variables to read (<c>DCOS_MASTER</c>); null for the process's.</param>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler = null, IDictionary<string, string?>? environment = null) =>
        RunAsync(args, stdout, stderr, handler, environment, CancellationToken.None);

    /// <inheritdoc cref="RunAsync(string[], TextWriter, TextWriter, HttpMessageHandler?, IDictionary{string, string?}?)"/>
    /// <param name="cancellationToken">Cancels a wait (Ctrl+C).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler, IDictionary<string, string?>? environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var (globals, rest) = ArgParser.ExtractGlobals(args);
            var output = new Output(stdout, stderr, globals.Json);
            var command = Resolve(globals, rest, stdout, out var tail);
            if (command is null) return ExitCodes.Ok;
            var parsed = ArgParser.Parse(command, tail);
            var url = MasterUrl(globals.Master, environment);
            using var master = new MasterClient(url, handler, RequestTimeout);
            var context = new CommandContext(output, master, TimeProvider.System, cancellationToken);
            return await command.Handler(context, parsed);
        }
        catch (UsageException e)
        {
            stderr.WriteLine("error: " + Output.OneLine(e.Message));
            if (e.Command is { } command) Help.WriteCommandUsage(stderr, command);
            else if (e.Group is { } group) Help.WriteGroup(stderr, group);
            else Help.WriteTop(stderr);
            return ExitCodes.Usage;
        }
        catch (CliException e)
        {
            stderr.WriteLine("error: " + Output.OneLine(e.Message));
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("error: interrupted");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>The master's URL: <c>--master</c>, else <c>DCOS_MASTER</c>, else http://127.0.0.1:5080.</summary>
    internal static string MasterUrl(string? option, IDictionary<string, string?>? environment)
    {
        if (option is not null) return MasterClient.NormalizeUrl(option, "--master");
        var variable = environment is null ? Environment.GetEnvironmentVariable(MasterVariable) : environment.TryGetValue(MasterVariable, out var v) ? v : null;
        return string.IsNullOrWhiteSpace(variable) ? MasterClient.DefaultUrl : MasterClient.NormalizeUrl(variable, MasterVariable);
    }

    /// <summary>Finds the command; null when help or the version was printed instead.</summary>
    private static CommandSpec? Resolve(GlobalOptions globals, List<string> rest, TextWriter stdout, out List<string> tail)
    {
        var valueOptions = new HashSet<string>(Groups.SelectMany(g => g.Commands).SelectMany(c => c.Options).Where(o => o.TakesValue).Select(o => o.Name), StringComparer.Ordinal);
        var (words, afterGroup) = ArgParser.TakeCommandWords(rest, 1, valueOptions);
        tail = afterGroup;
        if (words.Count == 0)
        {
            if (globals.Version)
            {
                stdout.WriteLine("dcos " + Version);
                return null;
            }
            if (globals.Help)
            {
                Help.WriteTop(stdout);
                return null;
            }
            var option = afterGroup.FirstOrDefault(ArgParser.IsOption);
            throw new UsageException(option is null ? "no command given" : $"unknown option '{option}'");
        }
        if (words[0] == "help")
        {
            ShowHelp(afterGroup.Where(t => !ArgParser.IsOption(t)).ToList(), stdout);
            return null;
        }
        var group = Groups.FirstOrDefault(g => g.Name == words[0]) ?? throw new UsageException($"unknown command '{words[0]}'");
        if (group.IsSingle)
        {
            if (!globals.Help) return group.Commands[0];
            Help.WriteCommand(stdout, group.Commands[0]);
            return null;
        }
        var (sub, afterCommand) = ArgParser.TakeCommandWords(afterGroup, 1, valueOptions);
        tail = afterCommand;
        if (sub.Count == 0)
        {
            if (!globals.Help) throw new UsageException($"'{group.Name}' needs a command: {string.Join(", ", group.Commands.Select(c => c.Name))}", group: group);
            Help.WriteGroup(stdout, group);
            return null;
        }
        var command = group.Commands.FirstOrDefault(c => c.Name == sub[0])
            ?? throw new UsageException($"unknown command '{group.Name} {sub[0]}'", group: group);
        if (!globals.Help) return command;
        Help.WriteCommand(stdout, command);
        return null;
    }

    private static void ShowHelp(List<string> words, TextWriter stdout)
    {
        if (words.Count == 0)
        {
            Help.WriteTop(stdout);
            return;
        }
        var group = Groups.FirstOrDefault(g => g.Name == words[0]) ?? throw new UsageException($"unknown command '{words[0]}'");
        if (group.IsSingle || words.Count == 1)
        {
            if (group.IsSingle) Help.WriteCommand(stdout, group.Commands[0]);
            else Help.WriteGroup(stdout, group);
            return;
        }
        var command = group.Commands.FirstOrDefault(c => c.Name == words[1]) ?? throw new UsageException($"unknown command '{group.Name} {words[1]}'", group: group);
        Help.WriteCommand(stdout, command);
    }
}

/// <summary>What a command handler works with.</summary>
internal sealed class CommandContext(Output output, MasterClient master, TimeProvider time, CancellationToken cancellation)
{
    public Output Output { get; } = output;

    public MasterClient Master { get; } = master;

    public TimeProvider Time { get; } = time;

    public CancellationToken Cancellation { get; } = cancellation;

    public bool Json => Output.Json;

    /// <summary>How often a wait polls the master.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
