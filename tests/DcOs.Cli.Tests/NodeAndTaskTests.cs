using System.Net;
using System.Text.Json;

namespace DcOs.Cli.Tests;

public sealed class NodeAndTaskTests
{
    [Fact]
    public async Task NodeList_PrintsIdHostnameStatusUsageAndTasks()
    {
        var master = new FakeMaster().Get("/api/agents", SampleData.Agents);

        var result = await CliRunner.Run(master, "node", "list");

        Assert.Equal(0, result.ExitCode);
        var row = Line(result.Stdout, "agent-1");
        Assert.Contains("node-a", row);
        Assert.Contains("Active", row);
        Assert.Contains("1.5/4", row);
        Assert.Contains("512/8192", row);
        Assert.Contains(" 3 ", row);
        var second = Line(result.Stdout, "agent-2");
        Assert.Contains("Draining", second);
        Assert.Contains("0.25/2", second);
        Assert.Contains("64/4096", second);
        Assert.Contains("HOSTNAME", result.Stdout);
        Assert.Contains("no cgroups", result.Stderr);
    }

    [Fact]
    public async Task NodeList_Json_PrintsTheMastersJsonOnly()
    {
        var master = new FakeMaster().Get("/api/agents", SampleData.Agents);

        var result = await CliRunner.Run(master, "node", "list", "--json");

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
        Assert.Equal("node-a", doc.RootElement[0].GetProperty("hostname").GetString());
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task NodeDrain_PostsAndReports()
    {
        var master = new FakeMaster().Post("/api/agents/agent-1/drain", """{"id": "agent-1", "status": "Draining"}""", HttpStatusCode.Accepted);

        var result = await CliRunner.Run(master, "node", "drain", "agent-1", "--grace-period", "30");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("agent-1", result.Stdout);
        Assert.Contains("Draining", result.Stdout);
        var request = Assert.Single(master.Sent("POST", "/api/agents/agent-1/drain"));
        using var body = JsonDocument.Parse(request.Body!);
        Assert.Equal(30, body.RootElement.GetProperty("gracePeriodSeconds").GetDouble());
    }

    [Fact]
    public async Task NodeDrain_UnknownAgent_IsExit1WithOneLine()
    {
        var master = new FakeMaster().Error("POST", "/api/agents/nope/drain", HttpStatusCode.NotFound, "unknown agent 'nope'");

        var result = await CliRunner.Run(master, "node", "drain", "nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: unknown agent 'nope'"], result.StderrLines);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task TaskList_PrintsTheTasks()
    {
        var master = new FakeMaster().Get("/api/tasks", SampleData.Tasks);

        var result = await CliRunner.Run(master, "task", "list");

        Assert.Equal(0, result.ExitCode);
        var web = Line(result.Stdout, "web.v1.aaaa");
        Assert.Contains("/web", web);
        Assert.Contains("TASK_RUNNING", web);
        Assert.Contains("node-a", web);
        Assert.Contains("healthy", web);
        Assert.Contains("31001", web);
        var job = Line(result.Stdout, "hello.run-1.bbbb");
        Assert.Contains("job hello", job);
        Assert.Contains("TASK_STAGING", job);
    }

    [Fact]
    public async Task TaskList_AppFilter_KeepsOnlyThatApp_AlsoInJson()
    {
        var master = new FakeMaster().Get("/api/tasks", SampleData.Tasks);

        var table = await CliRunner.Run(master, "task", "list", "--app", "web");
        var json = await CliRunner.Run(master, "task", "list", "--app=/web", "--json");

        Assert.Contains("web.v1.aaaa", table.Stdout);
        Assert.DoesNotContain("hello.run-1", table.Stdout);
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal("web.v1.aaaa", Assert.Single(doc.RootElement.EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task TaskList_Json_Parses()
    {
        var master = new FakeMaster().Get("/api/tasks", SampleData.Tasks);

        var result = await CliRunner.Run(master, "--json", "task", "list");

        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task TaskLog_PrintsStdoutText()
    {
        var master = new FakeMaster().Get("/api/tasks/web.v1.aaaa/logs", SampleData.Log);

        var result = await CliRunner.Run(master, "task", "log", "web.v1.aaaa");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("serving on 31001\nGET / 200\n", result.Stdout);
        var request = Assert.Single(master.Requests);
        Assert.Equal("?file=stdout&offset=-65536&length=65536", request.Uri.Query);
    }

    [Fact]
    public async Task TaskLog_StderrAndTail_AskForThatFileAndSize()
    {
        var master = new FakeMaster().Get("/api/tasks/web.v1.aaaa/logs", """{"data": "boom", "offset": 900, "fileSize": 1000}""");

        var result = await CliRunner.Run(master, "task", "log", "web.v1.aaaa", "--stderr", "--tail", "100");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("boom\n", result.Stdout);
        Assert.Equal("?file=stderr&offset=-100&length=100", Assert.Single(master.Requests).Uri.Query);
    }

    [Fact]
    public async Task TaskLog_UnknownTask_IsExit1()
    {
        var result = await CliRunner.Run(new FakeMaster(), "task", "log", "nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: unknown task 'nope'"], result.StderrLines);
    }

    [Fact]
    public async Task TaskLog_BadTail_IsUsageError()
    {
        var result = await CliRunner.Run(new FakeMaster(), "task", "log", "x", "--tail", "lots");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --tail", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("dcos task log <id> [options]", result.Stderr);
    }

    internal static string Line(string text, string containing) =>
        text.Split('\n').FirstOrDefault(l => l.Contains(containing, StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException($"no line with '{containing}' in:\n{text}");
}
