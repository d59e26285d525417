using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace DcOs.Cli.Tests;

public sealed class AppCommandTests
{
    [Fact]
    public async Task AppAdd_PostsTheFileAndWaitsUntilEveryInstanceRuns()
    {
        using var file = new CliRunner.TempFile(SampleData.AppFile);
        var master = new FakeMaster()
            .Post("/api/apps", SampleData.App(0, 5), HttpStatusCode.Created)
            .Get("/api/apps/web", SampleData.App(0, 5))
            .Get("/api/apps/web", SampleData.App(5, 5));

        var result = await CliRunner.Run(master, "app", "add", file.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        var post = Assert.Single(master.Sent("POST", "/api/apps"));
        Assert.Equal(SampleData.AppFile, post.Body);
        Assert.Equal(2, master.Sent("GET", "/api/apps/web").Count());
        Assert.Contains("created app /web (5 instances)", result.Stdout);
        Assert.Contains("web: 0/5 running", result.Stdout);
        Assert.Contains("web: 5/5 running", result.Stdout);
    }

    [Fact]
    public async Task AppAdd_NoWait_OnlyPosts()
    {
        using var file = new CliRunner.TempFile(SampleData.AppFile);
        var master = new FakeMaster().Post("/api/apps", SampleData.App(0, 5), HttpStatusCode.Created);

        var result = await CliRunner.Run(master, "app", "add", file.Path, "--no-wait");

        Assert.Equal(0, result.ExitCode);
        Assert.Single(master.Requests);
    }

    [Fact]
    public async Task AppAdd_Json_PrintsOnlyTheConvergedApp()
    {
        using var file = new CliRunner.TempFile(SampleData.AppFile);
        var master = new FakeMaster()
            .Post("/api/apps", SampleData.App(0, 5), HttpStatusCode.Created)
            .Get("/api/apps/web", SampleData.App(5, 5));

        var result = await CliRunner.Run(master, "app", "add", file.Path, "--json");

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(5, doc.RootElement.GetProperty("tasksRunning").GetInt32());
    }

    [Fact]
    public async Task AppAdd_Conflict_PrintsTheMastersError()
    {
        using var file = new CliRunner.TempFile(SampleData.AppFile);
        var master = new FakeMaster().Error("POST", "/api/apps", HttpStatusCode.Conflict, "app '/web' already exists");

        var result = await CliRunner.Run(master, "app", "add", file.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: app '/web' already exists"], result.StderrLines);
    }

    [Fact]
    public async Task AppList_PrintsRunningOverInstances()
    {
        var master = new FakeMaster().Get("/api/apps", SampleData.Apps);

        var result = await CliRunner.Run(master, "app", "list");

        Assert.Equal(0, result.ExitCode);
        var web = NodeAndTaskTests.Line(result.Stdout, "/web");
        Assert.Contains("2/2", web);
        Assert.Contains("Running", web);
        Assert.Contains("python3 -m http.server $PORT0", web);
        var sleep = NodeAndTaskTests.Line(result.Stdout, "/sleep");
        Assert.Contains("1/3", sleep);
        Assert.Contains("Deploying", sleep);
    }

    [Fact]
    public async Task AppList_Json_Parses()
    {
        var master = new FakeMaster().Get("/api/apps", SampleData.Apps);

        var result = await CliRunner.Run(master, "app", "list", "--json");

        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task AppShow_PrintsTheDefinitionAndTasks()
    {
        var master = new FakeMaster().Get("/api/apps/web", SampleData.App(1, 1));

        var result = await CliRunner.Run(master, "app", "show", "/web");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("python3 -m http.server $PORT0", result.Stdout);
        Assert.Contains("1/1 running, 1 healthy", result.Stdout);
        Assert.Contains("hostname:UNIQUE", result.Stdout);
        Assert.Contains("HTTP / on port index 0", result.Stdout);
        var task = NodeAndTaskTests.Line(result.Stdout, "web.v1.aaaa");
        Assert.Contains("TASK_RUNNING", task);
        Assert.Contains("node-a", task);
        Assert.Contains("31001", task);
    }

    [Fact]
    public async Task AppShow_Json_Parses()
    {
        var master = new FakeMaster().Get("/api/apps/web", SampleData.App(1, 1));

        var result = await CliRunner.Run(master, "app", "show", "web", "--json");

        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("/web", doc.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task UnknownApp_IsExit1WithOneLine()
    {
        var master = new FakeMaster().Error("GET", "/api/apps/web", HttpStatusCode.NotFound, "unknown app 'web'");

        var result = await CliRunner.Run(master, "app", "show", "web");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: unknown app 'web'\n", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task AppScale_PostsInstancesAndWaits()
    {
        var master = new FakeMaster()
            .Post("/api/apps/web/scale", SampleData.App(2, 3))
            .Get("/api/apps/web", SampleData.App(2, 3))
            .Get("/api/apps/web", SampleData.App(3, 3));

        var result = await CliRunner.Run(master, "app", "scale", "web", "3");

        Assert.Equal(0, result.ExitCode);
        var post = Assert.Single(master.Sent("POST", "/api/apps/web/scale"));
        using var body = JsonDocument.Parse(post.Body!);
        Assert.Equal(3, body.RootElement.GetProperty("instances").GetInt32());
        Assert.Contains("web: 2/3 running", result.Stdout);
        Assert.Contains("web: 3/3 running", result.Stdout);
    }

    [Fact]
    public async Task AppScale_ToZero_Converges()
    {
        var master = new FakeMaster()
            .Post("/api/apps/web/scale", SampleData.App(0, 0))
            .Get("/api/apps/web", SampleData.App(0, 0));

        var result = await CliRunner.Run(master, "app", "scale", "web", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("web: 0/0 running", result.Stdout);
    }

    [Theory]
    [InlineData("three")]
    [InlineData("-1")]
    [InlineData("2.5")]
    public async Task AppScale_BadCount_IsUsageError(string count)
    {
        var master = new FakeMaster();

        var result = await CliRunner.Run(master, "app", "scale", "web", count);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("dcos app scale <id> <n> [options]", result.Stderr);
        Assert.Empty(master.Requests);
    }

    [Fact]
    public async Task AppScale_UnknownApp_IsExit1()
    {
        var master = new FakeMaster().Error("POST", "/api/apps/web/scale", HttpStatusCode.NotFound, "unknown app 'web'");

        var result = await CliRunner.Run(master, "app", "scale", "web", "3");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: unknown app 'web'"], result.StderrLines);
    }

    [Fact]
    public async Task AppRestart_WaitsUntilTheDeploymentEnds()
    {
        var master = new FakeMaster()
            .Post("/api/apps/web/restart", SampleData.App(2, 2, deploying: true, version: 2))
            .Get("/api/apps/web", SampleData.App(2, 2, deploying: true, version: 2))
            .Get("/api/apps/web", SampleData.App(2, 2, deploying: false, version: 2));

        var result = await CliRunner.Run(master, "app", "restart", "web");

        Assert.Equal(0, result.ExitCode);
        Assert.Single(master.Sent("POST", "/api/apps/web/restart"));
        Assert.Equal(2, master.Sent("GET", "/api/apps/web").Count());
        Assert.Contains("replacing old instances", result.Stdout);
    }

    [Fact]
    public async Task AppRemove_Deletes()
    {
        var master = new FakeMaster().On("DELETE", "/api/apps/web", """{"id": "/web"}""");

        var result = await CliRunner.Run(master, "app", "remove", "web");

        Assert.Equal(0, result.ExitCode);
        Assert.Single(master.Sent("DELETE", "/api/apps/web"));
        Assert.Contains("removed app web", result.Stdout);
    }

    [Fact]
    public async Task NestedAppIds_KeepTheirSlashes()
    {
        var master = new FakeMaster().Get("/api/apps/team/web", SampleData.App(1, 1, id: "/team/web"));

        var result = await CliRunner.Run(master, "app", "show", "/team/web");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("/api/apps/team/web", Assert.Single(master.Requests).Path);
    }

    [Fact]
    public async Task Wait_TimesOut_WithExit4AndAClearMessage()
    {
        var master = new FakeMaster()
            .Post("/api/apps/web/scale", SampleData.App(0, 5))
            .Get("/api/apps/web", SampleData.App(0, 5));
        var clock = Stopwatch.StartNew();

        var result = await CliRunner.Run(master, "app", "scale", "web", "5", "--timeout", "1");

        Assert.Equal(4, result.ExitCode);
        Assert.Equal(["error: timed out after 1 s waiting for app 'web': 0/5 running, 5 staging; run 'dcos debug web' to see why"], result.StderrLines);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(20));
        Assert.True(master.Sent("GET", "/api/apps/web").Count() >= 2);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("soon")]
    public async Task Wait_BadTimeout_IsUsageError(string timeout)
    {
        var result = await CliRunner.Run(new FakeMaster(), "app", "restart", "web", "--timeout", timeout);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --timeout", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppList_SaysWhyAnAppIsShortOfInstances()
    {
        var app = """{"id": "/web", "cmd": "x", "cpus": 0.1, "mem": 32, "disk": 0, "gpus": 0, "instances": 2, "tasksRunning": 1, "tasksHealthy": 1, "tasksStaged": 0, "tasksUnreachable": 1, "version": 1, "deploying": false, "message": "1 instance(s) unreachable; replaced after 300 s unreachable", "tasks": []}""";
        var master = new FakeMaster().Get("/api/apps", "[" + app + "]");

        var result = await CliRunner.Run(master, "app", "list");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("/web: 1 instance(s) unreachable; replaced after 300 s unreachable", result.Stdout);
    }
}
