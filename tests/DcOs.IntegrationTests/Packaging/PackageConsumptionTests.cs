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

    /// <summary>Every package under src/, packed once per test class into a fresh folder feed.</summary>
    private static readonly string[] Packages = ["DcOs.Core", "DcOs.Transport", "DcOs.Framework", "DcOs.Optimization", "DcOs.Scheduling", "DcOs.Scheduling.Sqlite", "DcOs.Agent", "DcOs.Frameworks", "DcOs.Frameworks.AspNetCore", "DcOs.Simulation"];

    /// <summary>
    /// A consumer project in its own folder that restores from <paramref name="feed"/> into its own packages folder
    /// (so a package packed earlier under the same version is never taken from the machine's cache); the machine's
    /// packages folder is a second local source for the ecosystem's packages.
    /// </summary>
    private static async Task<string> WriteConsumerAsync(string parent, string name, string feed, string references, string program)
    {
        var app = Path.Combine(parent, name);
        Directory.CreateDirectory(app);
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env
            ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(app, "packages")}" />
              </config>
              <packageSources>
                <add key="dcos-test-feed" value="{feed}" />
                <add key="machine-packages" value="{machinePackages}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        // Isolate from the repository's Directory.Build.props / Directory.Packages.props.
        await File.WriteAllTextAsync(Path.Combine(app, "Directory.Build.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(app, "Directory.Packages.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), program);
        return app;
    }

    /// <summary>The package ids a restore resolved, read from the restore's own record (obj/project.assets.json).</summary>
    private static List<string> RestoredPackages(string app)
    {
        using var assets = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "obj", "project.assets.json")));
        return [.. assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Value.GetProperty("type").GetString() == "package")
            .Select(l => l.Name[..l.Name.IndexOf('/')])];
    }

    [Fact]
    public async Task Each_package_packs_with_its_readme_and_programs_consume_them_from_a_local_feed()
    {
        var root = RepositoryRoot();
        var temp = Directory.CreateTempSubdirectory("dcos-pack-");
        try
        {
            var feed = Path.Combine(temp.FullName, "feed");
            foreach (var package in Packages)
            {
                var (code, output) = await RunAsync(root, "pack", $"src/{package}/{package}.csproj", "-c", "Release", "-o", feed, "-m:1");
                Assert.True(code == 0, output);
                var nupkg = Directory.GetFiles(feed, $"{package}.0*.nupkg").Single();
                using var zip = ZipFile.OpenRead(nupkg);
                Assert.Contains(zip.Entries, e => e.FullName == "README.md");
                Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{package}.dll");
                Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{package}.xml");
            }

            var core = await WriteConsumerAsync(temp.FullName, "CoreConsumer", feed, """
                    <PackageReference Include="DcOs.Core" Version="0.1.0" />
                """, """
                using DcOs.Core;
                var free = Resources.Parse("cpus:4;mem:4096;ports:[31000-31010]");
                var task = Resources.Parse("cpus:0.1;mem:32") + Resources.Parse("cpus:0.2");
                Console.WriteLine($"fits={task.FitsIn(free)} left={free - task}");
                """);
            var (runCode, runOutput) = await RunAsync(core, "run", "-m:1");
            Assert.True(runCode == 0, runOutput);
            Assert.Contains("fits=True left=cpus:3.7;mem:4064;ports:[31000-31010]", runOutput);

            // A framework author references the SDK alone: no OR-Tools, no SQLite, not even the master engine.
            var framework = await WriteConsumerAsync(temp.FullName, "FrameworkConsumer", feed, """
                    <PackageReference Include="DcOs.Framework" Version="0.1.0" />
                    <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.0" />
                """, """
                using DcOs.Core;
                using DcOs.Framework;
                using Microsoft.Extensions.DependencyInjection;
                using Microsoft.Extensions.Hosting;
                var builder = Host.CreateApplicationBuilder();
                builder.Services.AddDcOsFramework<Idle>(o => o.Framework = new FrameworkInfo { Name = "idle" });
                using var host = builder.Build();
                Console.WriteLine($"client={host.Services.GetRequiredService<IFrameworkClient>() is not null}");
                sealed class Idle : FrameworkScheduler;
                """);
            var (fwCode, fwOutput) = await RunAsync(framework, "run", "-m:1");
            Assert.True(fwCode == 0, fwOutput);
            Assert.Contains("client=True", fwOutput);
            var restored = RestoredPackages(framework);
            Assert.Contains("DcOs.Framework", restored);
            Assert.Contains("DcOs.Transport", restored);
            Assert.DoesNotContain(restored, p => p.StartsWith("Google.", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(restored, p => p.Contains("Sqlite", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain("DcOs.Scheduling", restored);
            Assert.DoesNotContain("DcOs.Optimization", restored);

            // Someone who runs apps without writing a scheduler references the frameworks: neither the master nor OR-Tools.
            var apps = await WriteConsumerAsync(temp.FullName, "FrameworksConsumer", feed, """
                    <PackageReference Include="DcOs.Frameworks" Version="0.1.0" />
                """, """
                using DcOs.Frameworks;
                using DcOs.Frameworks.Services;
                var services = new ServicesFramework(FrameworkStores.InMemory(), TimeProvider.System);
                var view = services.Add(new AppDefinition { Id = "/web", Cmd = "sleep 1", Cpus = 0.1, Mem = 32 });
                Console.WriteLine($"app={view.Definition.Id} version={view.Version}");
                try { services.Add(new AppDefinition { Id = "/huge", Cmd = "sleep 1", Cpus = 1e300 }); }
                catch (DcOs.Core.ValidationException e) { Console.WriteLine("refused " + e.Field); }
                """);
            var (appsCode, appsOutput) = await RunAsync(apps, "run", "-m:1");
            Assert.True(appsCode == 0, appsOutput);
            Assert.Contains("app=/web version=1", appsOutput);
            Assert.Contains("refused cpus", appsOutput);
            var appsRestored = RestoredPackages(apps);
            Assert.Contains("DcOs.Framework", appsRestored);
            Assert.DoesNotContain("DcOs.Scheduling", appsRestored);
            Assert.DoesNotContain(appsRestored, p => p.StartsWith("Google.", StringComparison.OrdinalIgnoreCase));

            // The master host picks its store and optimizer; only then do SQLite and OR-Tools come in.
            var master = await WriteConsumerAsync(temp.FullName, "MasterConsumer", feed, """
                    <PackageReference Include="DcOs.Scheduling" Version="0.1.0" />
                """, """
                Console.WriteLine(typeof(DcOs.Scheduling.Master.IMaster).Name);
                """);
            var (masterCode, masterOutput) = await RunAsync(master, "restore");
            Assert.True(masterCode == 0, masterOutput);
            var masterRestored = RestoredPackages(master);
            Assert.DoesNotContain(masterRestored, p => p.StartsWith("Google.", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(masterRestored, p => p.Contains("Sqlite", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }
}
