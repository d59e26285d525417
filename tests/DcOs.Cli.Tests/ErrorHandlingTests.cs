using System.Net.Sockets;

namespace DcOs.Cli.Tests;

public sealed class ErrorHandlingTests
{
    private static FakeMaster Refusing() => new()
    {
        Failure = () => new HttpRequestException("Connection refused (127.0.0.1:5080)", new SocketException((int)SocketError.ConnectionRefused)),
    };

    [Fact]
    public async Task MasterUnreachable_IsExit3WithTheMessage()
    {
        var result = await CliRunner.Run(Refusing(), "node", "list");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("error: cannot reach the master at http://127.0.0.1:5080 (connection refused); start it or set --master / DCOS_MASTER\n", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task MasterUnreachable_DuringAdd_IsExit3()
    {
        using var file = new CliRunner.TempFile(SampleData.AppFile);

        var result = await CliRunner.Run(Refusing(), "app", "add", file.Path);

        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public async Task ServerError_IsExit1WithTheServersText()
    {
        var master = new FakeMaster().Error("GET", "/api/agents", System.Net.HttpStatusCode.ServiceUnavailable, "master not ready: recovering");

        var result = await CliRunner.Run(master, "node", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: the master is not ready: master not ready: recovering"], result.StderrLines);
    }

    [Fact]
    public async Task NotJson_IsAClearError()
    {
        var master = new FakeMaster().Get("/api/agents", "<html>hello</html>");

        var result = await CliRunner.Run(master, "node", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not JSON; is --master right?", Assert.Single(result.StderrLines));
    }

    [Fact]
    public async Task DefaultMaster_IsLocalhost5080()
    {
        var master = new FakeMaster().Get("/api/agents", "[]");

        await CliRunner.Run(master, "node", "list");

        Assert.Equal("http://127.0.0.1:5080/api/agents", Assert.Single(master.Requests).Uri.ToString());
    }

    [Fact]
    public async Task DcosMasterVariable_IsUsed()
    {
        var master = new FakeMaster().Get("/api/agents", "[]");
        var environment = new Dictionary<string, string?> { ["DCOS_MASTER"] = "http://env-host:9000" };

        await CliRunner.Run(master, environment, "node", "list");

        Assert.Equal("http://env-host:9000/api/agents", Assert.Single(master.Requests).Uri.ToString());
    }

    [Fact]
    public async Task MasterOption_BeatsTheVariable()
    {
        var master = new FakeMaster().Get("/api/agents", "[]");
        var environment = new Dictionary<string, string?> { ["DCOS_MASTER"] = "http://env-host:9000" };

        await CliRunner.Run(master, environment, "node", "list", "--master", "http://flag-host:7000/");
        await CliRunner.Run(master, environment, "--master=flag-host:7001", "node", "list");

        Assert.Equal("http://flag-host:7000/api/agents", master.Requests[0].Uri.ToString());
        Assert.Equal("http://flag-host:7001/api/agents", master.Requests[1].Uri.ToString());
    }

    [Fact]
    public async Task Unreachable_NamesTheMasterInUse()
    {
        var environment = new Dictionary<string, string?> { ["DCOS_MASTER"] = "http://env-host:9000" };

        var result = await CliRunner.Run(Refusing(), environment, "app", "list");

        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("error: cannot reach the master at http://env-host:9000 (connection refused)", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://x")]
    [InlineData("http://")]
    public async Task BadMasterUrl_IsUsageError(string url)
    {
        var result = await CliRunner.Run(new FakeMaster(), "node", "list", "--master", url);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --master:", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoArguments_IsUsageErrorWithUsage()
    {
        var result = await CliRunner.Run(new FakeMaster());

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: Required command was not provided.\n", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("dcos [command] [options]", result.Stderr);
        Assert.Contains("debug <app-id>", result.Stderr);
        Assert.Contains("Exit codes:", result.Stderr);
    }

    // The parser is System.CommandLine: its wording for what it checks, ours for the values it hands us.
    [Theory]
    [InlineData(new[] { "frobnicate" }, "error: Unrecognized command or argument 'frobnicate'.", "dcos [command] [options]")]
    [InlineData(new[] { "app" }, "error: Required command was not provided.", "scale <id> <n>")]
    [InlineData(new[] { "app", "frob" }, "error: Unrecognized command or argument 'frob'.", "add <file.json>")]
    [InlineData(new[] { "app", "show" }, "error: Required argument 'id' missing for command: 'show'.", "dcos app show <id> [options]")]
    [InlineData(new[] { "app", "show", "a", "b" }, "error: Unrecognized command or argument 'b'.", "dcos app show <id> [options]")]
    [InlineData(new[] { "app", "list", "--fast" }, "error: Unrecognized command or argument '--fast'.", "dcos app list [options]")]
    [InlineData(new[] { "app", "scale", "web", "3", "--timeout" }, "error: Required argument missing for option: '--timeout'.", "dcos app scale <id> <n> [options]")]
    [InlineData(new[] { "app", "scale", "web", "3", "--timeout", "soon" }, "error: --timeout: 'soon' is not a positive number of seconds (e.g. 120, 90s, 5m)", "--timeout <SECONDS>")]
    [InlineData(new[] { "app", "scale", "web", "3", "--wait", "--no-wait" }, "error: --wait and --no-wait contradict each other", "dcos app scale <id> <n> [options]")]
    [InlineData(new[] { "debug" }, "error: Required argument 'app-id' missing for command: 'debug'.", "dcos debug <app-id> [options]")]
    [InlineData(new[] { "node", "list", "--master" }, "error: Required argument missing for option: '--master'.", "dcos node list [options]")]
    [InlineData(new[] { "node", "drain", "a1", "--grace-period", "-5" }, "error: --grace-period: '-5' is not a positive number of seconds", "dcos node drain <id> [options]")]
    public async Task UsageErrors_AreExit2WithUsage(string[] args, string firstLine, string usage)
    {
        var master = new FakeMaster();

        var result = await CliRunner.Run(master, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(firstLine, result.StderrLines[0]);
        Assert.Contains(usage, result.Stderr);
        Assert.Empty(master.Requests);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData(new[] { "--help" }, "dcos [command] [options]")]
    [InlineData(new[] { "help" }, "dcos [command] [options]")]
    [InlineData(new[] { "app", "--help" }, "long-running apps (Marathon-like services)")]
    [InlineData(new[] { "help", "app", "scale" }, "dcos app scale <id> <n> [options]")]
    [InlineData(new[] { "app", "scale", "-h" }, "--timeout <SECONDS>")]
    [InlineData(new[] { "app", "add", "--help" }, "Details:")]
    [InlineData(new[] { "task", "log", "--help" }, "--tail <BYTES>")]
    [InlineData(new[] { "debug", "--help" }, "dcos debug <app-id> [options]")]
    [InlineData(new[] { "--version" }, "dcos ")]
    public async Task Help_IsExit0OnStdout(string[] args, string expected)
    {
        var master = new FakeMaster();

        var result = await CliRunner.Run(master, args);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(expected, result.Stdout);
        Assert.Equal("", result.Stderr);
        Assert.Empty(master.Requests);
    }

    [Fact]
    public async Task GlobalOptionsMayComeFirstAndOptionsBeforeArguments()
    {
        var master = new FakeMaster().Post("/api/apps/web/scale", SampleData.App(3, 3)).Get("/api/apps/web", SampleData.App(3, 3));

        var result = await CliRunner.Run(master, "--json", "app", "scale", "--timeout", "5", "web", "3");

        Assert.Equal(0, result.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(result.Stdout);
        Assert.Equal(3, doc.RootElement.GetProperty("instances").GetInt32());
    }
}
