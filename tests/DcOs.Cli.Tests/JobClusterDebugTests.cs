using System.Net;
using System.Text.Json;

namespace DcOs.Cli.Tests;

public sealed class JobClusterDebugTests
{
    [Fact]
    public async Task JobAdd_PostsTheFile()
    {
        var content = """{"id": "hello", "run": {"cmd": "echo hello", "cpus": 0.1, "mem": 32}, "schedule": "*/5 * * * *"}""";
        using var file = new CliRunner.TempFile(content, "hello-job.json");
        var master = new FakeMaster().Post("/api/jobs", SampleData.Job, HttpStatusCode.Created);

        var result = await CliRunner.Run(master, "job", "add", file.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(content, Assert.Single(master.Sent("POST", "/api/jobs")).Body);
        Assert.Contains("created job hello on schedule */5 * * * *", result.Stdout);
    }

    [Fact]
    public async Task JobAdd_Json_Parses()
    {
        using var file = new CliRunner.TempFile("""{"id": "hello", "run": {"cmd": "echo hello"}}""", "hello-job.json");
        var master = new FakeMaster().Post("/api/jobs", SampleData.Job, HttpStatusCode.Created);

        var result = await CliRunner.Run(master, "job", "add", file.Path, "--json");

        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("hello", doc.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task JobRun_PrintsTheRunId()
    {
        var master = new FakeMaster().Post("/api/jobs/hello/run", """{"runId": "hello-20250101T000000"}""", HttpStatusCode.Accepted);

        var result = await CliRunner.Run(master, "job", "run", "hello");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("started run hello-20250101T000000 of job hello", result.Stdout);
    }

    [Fact]
    public async Task JobRun_UnknownJob_IsExit1()
    {
        var master = new FakeMaster().Error("POST", "/api/jobs/nope/run", HttpStatusCode.NotFound, "unknown job 'nope'");

        var result = await CliRunner.Run(master, "job", "run", "nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: unknown job 'nope'"], result.StderrLines);
    }

    [Fact]
    public async Task JobList_PrintsScheduleAndLastRun()
    {
        var master = new FakeMaster().Get("/api/jobs", SampleData.Jobs);

        var result = await CliRunner.Run(master, "job", "list");

        Assert.Equal(0, result.ExitCode);
        var hello = NodeAndTaskTests.Line(result.Stdout, "hello");
        Assert.Contains("*/5 * * * *", hello);
        Assert.Contains("SUCCESS", hello);
        Assert.Contains("echo hello", hello);
        var nightly = NodeAndTaskTests.Line(result.Stdout, "nightly-report");
        Assert.Contains("600 s", nightly);
        Assert.Contains("never", nightly);
    }

    [Fact]
    public async Task JobList_Json_Parses()
    {
        var master = new FakeMaster().Get("/api/jobs", SampleData.Jobs);

        var result = await CliRunner.Run(master, "job", "list", "--json");

        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task JobHistory_PrintsRunsNewestFirst()
    {
        var master = new FakeMaster().Get("/api/jobs/hello/history", SampleData.History);

        var result = await CliRunner.Run(master, "job", "history", "hello");

        Assert.Equal(0, result.ExitCode);
        var failed = NodeAndTaskTests.Line(result.Stdout, "hello-2");
        Assert.Contains("FAILED", failed);
        Assert.Contains("exited with 3", failed);
        Assert.Contains("10 s", failed);
        Assert.Contains("0.0002", failed);
        Assert.True(result.Stdout.IndexOf("hello-2", StringComparison.Ordinal) < result.Stdout.IndexOf("hello-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task JobHistory_Json_Parses()
    {
        var master = new FakeMaster().Get("/api/jobs/hello/history", SampleData.History);

        var result = await CliRunner.Run(master, "job", "history", "hello", "--json");

        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("hello-2", doc.RootElement[0].GetProperty("runId").GetString());
    }

    [Fact]
    public async Task ClusterCost_PrintsTotalThenByAgentAndByApp()
    {
        var master = new FakeMaster().Get("/api/cost", SampleData.Cost);

        var result = await CliRunner.Run(master, "cluster", "cost");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        Assert.Equal("total: 0.2500 per hour", lines[0]);
        Assert.Equal("idle: 0.0500 per hour on 1 machine(s) running nothing (paid while they are on)", lines[1]);
        Assert.Equal("first-fit: 0.4500 per hour for the same tasks; this placement saves 0.2500 per hour (idle machines aside)", lines[2]);
        var agent = NodeAndTaskTests.Line(result.Stdout, "agent-1");
        Assert.Contains("node-a", agent);
        Assert.Contains(" 7 ", agent);
        Assert.Contains("0.2000", agent);
        Assert.Contains("37.5%", agent);
        Assert.Contains("idle", NodeAndTaskTests.Line(result.Stdout, "agent-2"));
        var app = NodeAndTaskTests.Line(result.Stdout, "/sleep");
        Assert.Contains(" 5 ", app);
        Assert.Contains("0.0500", app);
        Assert.True(result.Stdout.IndexOf("by agent", StringComparison.Ordinal) < result.Stdout.IndexOf("by app", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClusterConsolidate_PrintsTheBillBeforeAndAfterAndEachMove()
    {
        var master = new FakeMaster().Get("/api/consolidation", SampleData.Consolidation);

        var result = await CliRunner.Run(master, "cluster", "consolidate", "--max-moves", "3");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        Assert.Equal("moving 1 instance(s) switches off 1 machine(s): 0.6000 -> 0.1000 per hour (saves 0.5000)", lines[0]);
        Assert.Equal("idle already: node-c (0.2500 per hour while on)", lines[1]);
        var move = NodeAndTaskTests.Line(result.Stdout, "quick.1");
        Assert.Contains("/quick", move);
        Assert.True(move.IndexOf("node-b", StringComparison.Ordinal) < move.IndexOf("node-a", StringComparison.Ordinal), move);
        Assert.Equal("/api/consolidation?maxMoves=3", master.Requests.Single().Uri.PathAndQuery);
    }

    [Fact]
    public async Task ClusterConsolidate_Apply_PostsAndSaysWhatMoves()
    {
        var master = new FakeMaster().Post("/api/consolidation", SampleData.Consolidation.Replace("\"maxMoves\": 3,", "\"maxMoves\": 10, \"started\": [\"quick.1\"],", StringComparison.Ordinal));

        var result = await CliRunner.Run(master, "cluster", "consolidate", "--apply");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(("POST", "/api/consolidation?maxMoves=10"), (master.Requests.Single().Method, master.Requests.Single().Uri.PathAndQuery));
        Assert.Contains("moving 1 instance(s) now: each is replaced on its target first", result.Stdout);
    }

    [Fact]
    public async Task ClusterConsolidate_RefusesANegativeMaxMoves()
    {
        var result = await CliRunner.Run(new FakeMaster(), "cluster", "consolidate", "--max-moves", "-2");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--max-moves must be a number from 0 to 10000", result.Stderr);
    }

    [Fact]
    public async Task ClusterCost_Json_Parses()
    {
        var master = new FakeMaster().Get("/api/cost", SampleData.Cost);

        var result = await CliRunner.Run(master, "cluster", "cost", "--json");

        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(0.25, doc.RootElement.GetProperty("totalPerHour").GetDouble());
    }

    [Fact]
    public async Task Debug_PrintsReasonsWithCountsAndTheSummary()
    {
        var master = new FakeMaster().Get("/api/pending", SampleData.Pending);

        var result = await CliRunner.Run(master, "debug", "web");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("web: 3 tasks waiting", result.Stdout);
        var cpus = NodeAndTaskTests.Line(result.Stdout, "InsufficientCpus");
        Assert.Contains("12", cpus);
        Assert.Contains("3", NodeAndTaskTests.Line(result.Stdout, "Constraint"));
        Assert.True(result.Stdout.IndexOf("InsufficientCpus", StringComparison.Ordinal) < result.Stdout.IndexOf("Constraint", StringComparison.Ordinal));
        Assert.Contains("3 waiting; most offers rejected for InsufficientCpus", result.Stdout);
    }

    [Fact]
    public async Task Debug_Json_PrintsThatEntry()
    {
        var master = new FakeMaster().Get("/api/pending", SampleData.Pending);

        var result = await CliRunner.Run(master, "debug", "/web", "--json");

        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(12, doc.RootElement.GetProperty("reasons").GetProperty("InsufficientCpus").GetInt32());
    }

    [Fact]
    public async Task Debug_NothingPending_SaysSo()
    {
        var master = new FakeMaster().Get("/api/pending", "[]").Get("/api/apps/web", SampleData.App(2, 2));

        var result = await CliRunner.Run(master, "debug", "web");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("web: nothing pending (2/2 running)", result.Stdout);
    }

    [Fact]
    public async Task Debug_UnknownApp_IsExit1()
    {
        var master = new FakeMaster().Get("/api/pending", "[]").Error("GET", "/api/apps/nope", HttpStatusCode.NotFound, "unknown app 'nope'");

        var result = await CliRunner.Run(master, "debug", "nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: unknown app 'nope'"], result.StderrLines);
    }
}
