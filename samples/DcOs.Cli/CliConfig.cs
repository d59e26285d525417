using System.Text.Json;

namespace DcOs.Cli;

/// <summary>
/// What <c>dcos cluster setup</c> stored: the master's URL and its admin token, in <c>config.json</c> under
/// <c>$DCOS_DIR</c> (default <c>~/.config/dcos</c>), a file only its owner can read (mode 0600), as the DC/OS CLI keeps
/// its cluster's URL and token.
/// </summary>
internal sealed record CliConfig(string? Url, string? Token)
{
    public const string DirVariable = "DCOS_DIR";

    public const string TokenVariable = "DCOS_TOKEN";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string PathFor(Func<string, string?> environment)
    {
        var dir = environment(DirVariable) is { Length: > 0 } d ? d
            : Path.Combine(environment("XDG_CONFIG_HOME") is { Length: > 0 } x ? x : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "dcos");
        return Path.Combine(dir, "config.json");
    }

    /// <summary>The stored configuration; empty when there is none.</summary>
    /// <exception cref="CliException">The file exists but cannot be read.</exception>
    public static CliConfig Load(Func<string, string?> environment)
    {
        var path = PathFor(environment);
        if (!File.Exists(path)) return new CliConfig(null, null);
        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(path), Json) ?? new CliConfig(null, null);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Error, $"{path}: cannot read the CLI's configuration ({Output.OneLine(e.Message)}); run 'dcos cluster setup' again");
        }
    }

    /// <summary>Writes the configuration (mode 0600); returns the file's path.</summary>
    public string Save(Func<string, string?> environment)
    {
        var path = PathFor(environment);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Commands.CommandHelpers.WriteOwnerOnly(path, JsonSerializer.Serialize(this, Json) + "\n");
        return path;
    }
}
