using System.Globalization;
using System.Text.Json;

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

    /// <summary>
    /// Sends an app or job file as it is. The master is the one judge of a definition: when it refuses, its answer
    /// names the field and is printed after the file's name (<c>web.json: cpus: must not be negative (got -1)</c>).
    /// </summary>
    public static async Task<JsonElement> PostFileAsync(CommandContext context, string path, string file)
    {
        var json = ReadFile(file);
        if (string.IsNullOrWhiteSpace(json)) throw new CliException(ExitCodes.Error, $"{file}: the file is empty");
        try
        {
            return await context.Master.PostJsonAsync(path, json, null, context.Cancellation);
        }
        catch (RefusedException e)
        {
            throw new CliException(ExitCodes.Error, $"{file}: {e.Message}");
        }
    }
}
