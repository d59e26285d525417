using System.Globalization;

namespace DcOs.Cli.Commands;

/// <summary>Bits shared by the command groups.</summary>
internal static class CommandHelpers
{
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

    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(span.TotalSeconds < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " s";

    public static void PrintWarnings(CommandContext context, string fileName, IEnumerable<string> warnings)
    {
        foreach (var warning in warnings) context.Output.Warning($"{fileName}: {warning}");
    }
}
