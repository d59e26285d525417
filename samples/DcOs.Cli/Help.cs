namespace DcOs.Cli;

/// <summary>Help and usage text, written as plain text (never wrapped or colored).</summary>
internal static class Help
{
    public static void WriteTop(TextWriter writer)
    {
        writer.WriteLine("dcos - the command-line tool of the DcOs sample master");
        writer.WriteLine();
        writer.WriteLine("usage: dcos <command> [arguments] [options]");
        writer.WriteLine();
        writer.WriteLine("commands:");
        var commands = Cli.Groups.SelectMany(g => g.Commands).ToList();
        var width = commands.Max(c => Signature(c).Length) + 2;
        foreach (var command in commands) writer.WriteLine($"  {Signature(command).PadRight(width)}{command.Summary}");
        writer.WriteLine();
        WriteGlobals(writer);
        writer.WriteLine();
        writer.WriteLine("exit codes: 0 ok, 1 error from the master or an invalid file, 2 usage error, 3 master unreachable, 4 timeout");
        writer.WriteLine("run 'dcos <command> --help' for the options of a command.");
    }

    public static void WriteGroup(TextWriter writer, CommandGroup group)
    {
        writer.WriteLine($"dcos {group.Name} - {group.Summary}");
        writer.WriteLine();
        writer.WriteLine("commands:");
        var width = group.Commands.Max(c => Signature(c).Length) + 2;
        foreach (var command in group.Commands) writer.WriteLine($"  {Signature(command).PadRight(width)}{command.Summary}");
        writer.WriteLine();
        writer.WriteLine($"run 'dcos {group.Name} <command> --help' for the options of a command.");
    }

    public static void WriteCommand(TextWriter writer, CommandSpec command)
    {
        writer.WriteLine($"dcos {command.FullName} - {command.Summary}");
        writer.WriteLine();
        writer.WriteLine("usage: " + command.UsageLine);
        if (command.Details is { } details)
        {
            writer.WriteLine();
            foreach (var line in details.Split('\n')) writer.WriteLine(line.Length == 0 ? "" : "  " + line);
        }
        if (command.Options.Count > 0)
        {
            writer.WriteLine();
            writer.WriteLine("options:");
            var width = command.Options.Max(o => o.Usage.Length) + 2;
            foreach (var option in command.Options) writer.WriteLine($"  {option.Usage.PadRight(width)}{option.Help}");
        }
        writer.WriteLine();
        WriteGlobals(writer);
    }

    /// <summary>The short usage after a usage error.</summary>
    public static void WriteCommandUsage(TextWriter writer, CommandSpec command)
    {
        writer.WriteLine("usage: " + command.UsageLine);
        writer.WriteLine($"run 'dcos {command.FullName} --help' for details.");
    }

    private static string Signature(CommandSpec command) => command.ArgsUsage.Length == 0 ? command.FullName : $"{command.FullName} {command.ArgsUsage}";

    private static void WriteGlobals(TextWriter writer)
    {
        writer.WriteLine("global options:");
        writer.WriteLine($"  --master URL  the master's HTTP API (default: ${Cli.MasterVariable}, else {MasterClient.DefaultUrl})");
        writer.WriteLine("  --json        print the master's JSON (indented) and nothing else");
        writer.WriteLine("  -h, --help    show help");
        writer.WriteLine("  --version     show the version of dcos");
    }
}
