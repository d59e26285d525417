namespace DcOs.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public static class CliRunner
{
    /// <summary>Runs dcos with the fake master and an empty environment (so a real DCOS_MASTER cannot leak in).</summary>
    public static Task<CliResult> Run(FakeMaster? master, params string[] args) => Run(master, new Dictionary<string, string?>(), args);

    /// <summary>
    /// Runs dcos with <paramref name="environment"/>; without a DCOS_DIR of its own the run gets a fresh, empty one, so no
    /// cluster stored by the user leaks in.
    /// </summary>
    public static async Task<CliResult> Run(FakeMaster? master, IDictionary<string, string?> environment, params string[] args)
    {
        if (environment.ContainsKey("DCOS_DIR")) return await RunIn(master, environment, args);
        var dir = System.IO.Directory.CreateTempSubdirectory("dcos-cli-config-");
        try
        {
            return await RunIn(master, new Dictionary<string, string?>(environment) { ["DCOS_DIR"] = dir.FullName }, args);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<CliResult> RunIn(FakeMaster? master, IDictionary<string, string?> environment, string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var code = await Cli.RunAsync(args, stdout, stderr, master ?? new FakeMaster(), environment);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The repository root (the folder with DcOs.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DcOs.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("DcOs.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A temporary JSON file, deleted on dispose.</summary>
    public sealed class TempFile : IDisposable
    {
        public TempFile(string content, string name = "web.json")
        {
            Directory = System.IO.Directory.CreateTempSubdirectory("dcos-cli-test-").FullName;
            Path = System.IO.Path.Combine(Directory, name);
            File.WriteAllText(Path, content);
        }

        public string Directory { get; }

        public string Path { get; }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
