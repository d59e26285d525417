using System.Diagnostics;
using System.IO.Compression;

namespace DcOs.IntegrationTests.Packaging;

/// <summary>The packages are usable the way a user uses them: packed, then referenced from a local feed.</summary>
public sealed class PackageConsumptionTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DcOs.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("DcOs.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Code, string Output)> RunAsync(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Each_package_packs_with_its_readme_and_a_program_consumes_core_from_a_local_feed()
    {
        var root = RepositoryRoot();
        var temp = Directory.CreateTempSubdirectory("dcos-pack-");
        try
        {
            var feed = Path.Combine(temp.FullName, "feed");
            foreach (var package in new[] { "DcOs.Core", "DcOs.Transport", "DcOs.Scheduling", "DcOs.Agent" })
            {
                var (code, output) = await RunAsync(root, "pack", $"src/{package}/{package}.csproj", "-c", "Release", "-o", feed, "-m:1");
                Assert.True(code == 0, output);
                var nupkg = Directory.GetFiles(feed, $"{package}.*.nupkg").Single();
                using var zip = ZipFile.OpenRead(nupkg);
                Assert.Contains(zip.Entries, e => e.FullName == "README.md");
                Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{package}.dll");
                Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{package}.xml");
            }

            var app = Path.Combine(temp.FullName, "consumer");
            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="dcos-test-feed" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Consumer.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="DcOs.Core" Version="0.1.0" />
                  </ItemGroup>
                </Project>
                """);
            // Isolate from the repository's Directory.Build.props / Directory.Packages.props.
            await File.WriteAllTextAsync(Path.Combine(app, "Directory.Build.props"), "<Project />");
            await File.WriteAllTextAsync(Path.Combine(app, "Directory.Packages.props"), "<Project />");
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
                using DcOs.Core;
                var free = Resources.Parse("cpus:4;mem:4096;ports:[31000-31010]");
                var task = Resources.Parse("cpus:0.1;mem:32") + Resources.Parse("cpus:0.2");
                Console.WriteLine($"fits={task.FitsIn(free)} left={free - task}");
                """);
            var (runCode, runOutput) = await RunAsync(app, "run", "-m:1");
            Assert.True(runCode == 0, runOutput);
            Assert.Contains("fits=True left=cpus:3.7;mem:4064;ports:[31000-31010]", runOutput);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }
}
