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

    /// <summary>
    /// Writes a file only its owner can read (mode 0600), a secret: written to a temporary file of that mode, then moved
    /// over <paramref name="path"/>, so no reader ever sees it half written or with a wider mode.
    /// </summary>
    public static void WriteOwnerOnly(string path, string text)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }
        // A temporary file left earlier with a wider mode is narrowed too.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
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
