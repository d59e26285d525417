using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
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

    /// <summary>No response files: an argument starting with '@' (a task id, a label) is taken as it is.</summary>
    private static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

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
        // A fresh tree per run: System.CommandLine's symbols are mutable objects, and tests run commands in parallel.
        var line = new CommandLineTree();
        var result = line.Root.Parse(args, Parsing);
        if (result.CommandResult.Command == line.HelpCommand && result.Errors.Count == 0)
        {
            // "dcos help app scale" is "dcos app scale --help".
            result = line.Root.Parse([.. result.GetValue(line.HelpWords) ?? [], "--help"], Parsing);
        }
        if (result.Errors.Count > 0)
        {
            // A word it does not know explains the rest ("Required command was not provided" after "dcos frob").
            var unmatched = result.Errors.Where(e => Unmatched(result, e)).ToList();
            return UsageError(result, stderr, (unmatched.Count > 0 ? unmatched : result.Errors).Select(e => e.Message));
        }
        switch (result.Action)
        {
            case CliHelpAction or VersionAction:
                return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
            case not CommandHandler:
                return UsageError(result, stderr, ["no command given"]);
        }
        try
        {
            var output = new Output(stdout, stderr, result.GetValue(line.Json));
            var variables = Variables(environment);
            var config = CliConfig.Load(variables);
            var url = MasterUrl(result.GetValue(line.Master), environment) ?? config.Url ?? MasterClient.DefaultUrl;
            // The stored token goes only to the master it was stored for.
            var token = variables(CliConfig.TokenVariable) is { Length: > 0 } t ? t : config.Url == url ? config.Token : null;
            using var master = new MasterClient(url, handler, RequestTimeout, token);
            var context = new CommandContext(output, master, TimeProvider.System, cancellationToken)
            {
                Environment = variables,
                Connect = (other, otherToken) => new MasterClient(other, handler, RequestTimeout, otherToken),
            };
            return await ((CommandHandler)result.Action).Handler(context, result);
        }
        catch (UsageException e)
        {
            return UsageError(result, stderr, [e.Message]);
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

    /// <summary>The master's URL from <c>--master</c>, else <c>DCOS_MASTER</c>; null when neither is set (the stored one, else the default, applies).</summary>
    internal static string? MasterUrl(string? option, IDictionary<string, string?>? environment)
    {
        if (option is not null) return MasterClient.NormalizeUrl(option, "--master");
        var variable = Variables(environment)(MasterVariable);
        return string.IsNullOrWhiteSpace(variable) ? null : MasterClient.NormalizeUrl(variable, MasterVariable);
    }

    /// <summary>Reads environment variables from <paramref name="environment"/>, or the process's when null.</summary>
    private static Func<string, string?> Variables(IDictionary<string, string?>? environment) =>
        environment is null ? Environment.GetEnvironmentVariable : name => environment.TryGetValue(name, out var v) ? v : null;

    /// <summary>Exit code 2: each error on a line of its own, then the help of the command at fault, all on stderr.</summary>
    private static int UsageError(ParseResult result, TextWriter stderr, IEnumerable<string> errors)
    {
        foreach (var error in errors) stderr.WriteLine("error: " + Output.OneLine(error));
        stderr.WriteLine();
        var path = result.CommandResult.Command.Parents.Any() ? CommandPath(result.CommandResult.Command) : [];
        result.RootCommandResult.Command.Parse([.. path, "--help"], Parsing).Invoke(new InvocationConfiguration { Output = stderr, Error = stderr });
        return ExitCodes.Usage;
    }

    /// <summary>The command words from the top to <paramref name="command"/>, e.g. ["app", "scale"].</summary>
    private static List<string> CommandPath(Command command)
    {
        var path = new List<string>();
        for (Symbol? symbol = command; symbol is Command { Parents: var parents } c && parents.Any(); symbol = parents.First()) path.Insert(0, c.Name);
        return path;
    }

    private static bool Unmatched(ParseResult result, ParseError error) =>
        result.UnmatchedTokens.Any(token => error.Message.Contains($"'{token}'", StringComparison.Ordinal));

    /// <summary>The command tree of one run: every group, the global options and <c>help</c>.</summary>
    private sealed class CommandLineTree
    {
        public CommandLineTree()
        {
            Json = new Option<bool>("--json") { Description = "print the master's JSON (indented) and nothing else", Recursive = true, Arity = ArgumentArity.Zero };
            Master = new Option<string>("--master")
            {
                Description = $"the master's HTTP API (default: ${MasterVariable}, else {MasterClient.DefaultUrl})",
                HelpName = "URL",
                Recursive = true,
            };
            HelpWords = new Argument<string[]>("command") { Description = "the command to explain, e.g. app scale", Arity = ArgumentArity.ZeroOrMore };
            HelpCommand = new CliCommand("help", "show the help of a command") { HelpWords };
            Root = new RootCommand("dcos - the command-line tool of the DcOs sample master") { HelpName = "dcos" };
            Root.Options.Add(Json);
            Root.Options.Add(Master);
            foreach (var option in Root.Options)
            {
                if (option is HelpOption help) help.Action = new CliHelpAction();
                if (option is VersionOption version) version.Action = new VersionAction();
            }
            Root.Subcommands.Add(NodeCommands.Create());
            Root.Subcommands.Add(TaskCommands.Create());
            Root.Subcommands.Add(AppCommands.Create());
            Root.Subcommands.Add(JobCommands.Create());
            Root.Subcommands.Add(DeploymentCommands.Create());
            Root.Subcommands.Add(ClusterCommands.Create());
            Root.Subcommands.Add(DebugCommand.Create());
            Root.Subcommands.Add(HelpCommand);
        }

        public RootCommand Root { get; }

        public Option<bool> Json { get; }

        public Option<string> Master { get; }

        public CliCommand HelpCommand { get; }

        public Argument<string[]> HelpWords { get; }
    }

    /// <summary><c>--version</c>: "dcos 1.2.3", without build metadata.</summary>
    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine("dcos " + Version);
            return ExitCodes.Ok;
        }
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

    /// <summary>A client for another master URL and token (<c>cluster setup</c> checks the one it is given).</summary>
    public Func<string, string?, MasterClient> Connect { get; init; } = (url, token) => new MasterClient(url, null, Cli.RequestTimeout, token);

    /// <summary>Reads an environment variable (the test's or the process's).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>How often a wait polls the master.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
