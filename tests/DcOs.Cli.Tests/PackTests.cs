using System.Diagnostics;
using System.IO.Compression;

namespace DcOs.Cli.Tests;

public sealed class PackTests
{
    [Fact]
    public async Task Pack_ProducesADotnetToolPackageNamedDcos()
    {
        var root = CliRunner.RepositoryRoot();
        var output = Directory.CreateTempSubdirectory("dcos-cli-pack-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { "pack", Path.Combine(root, "samples", "DcOs.Cli", "DcOs.Cli.csproj"), "-c", "Release", "-o", output, "-m:1", "-nodeReuse:false", "--nologo", "-v:q" },
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            Assert.True(process.ExitCode == 0, $"dotnet pack failed:\n{await stdout}\n{await stderr}");

            var package = Assert.Single(Directory.GetFiles(output, "DcOs.Cli.*.nupkg"));
            using var zip = ZipFile.OpenRead(package);
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains(names, n => n.StartsWith("tools/net10.0/any/", StringComparison.Ordinal) && n.EndsWith("DcOs.Cli.dll", StringComparison.Ordinal));
            Assert.Contains(names, n => n.EndsWith("Spectre.Console.dll", StringComparison.Ordinal));
            Assert.Contains("README.md", names);
            var settings = zip.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
            using var reader = new StreamReader(settings.Open());
            Assert.Contains("Name=\"dcos\"", await reader.ReadToEndAsync());
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
