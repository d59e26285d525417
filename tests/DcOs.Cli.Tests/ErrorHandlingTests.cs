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
        Assert.StartsWith("error: no command given\n", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("usage: dcos <command>", result.Stderr);
        Assert.Contains("app scale <id> <n>", result.Stderr);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "error: unknown command 'frobnicate'", "usage: dcos <command>")]
    [InlineData(new[] { "app" }, "error: 'app' needs a command: add, list, show, scale, restart, remove", "app scale <id> <n>")]
    [InlineData(new[] { "app", "frob" }, "error: unknown command 'app frob'", "app add <file.json>")]
    [InlineData(new[] { "app", "show" }, "error: 'app show' needs <id>", "usage: dcos app show <id>")]
    [InlineData(new[] { "app", "show", "a", "b" }, "error: unexpected argument 'b' for 'app show'", "usage: dcos app show <id>")]
    [InlineData(new[] { "app", "list", "--fast" }, "error: unknown option '--fast' for 'app list'", "usage: dcos app list")]
    [InlineData(new[] { "app", "scale", "web", "3", "--timeout" }, "error: --timeout needs a value (SECONDS)", "usage: dcos app scale")]
    [InlineData(new[] { "app", "scale", "web", "3", "--wait", "--no-wait" }, "error: --wait and --no-wait contradict each other", "usage: dcos app scale")]
    [InlineData(new[] { "debug" }, "error: 'debug' needs <app-id>", "usage: dcos debug <app-id>")]
    [InlineData(new[] { "node", "list", "--master" }, "error: --master needs a URL, e.g. --master http://127.0.0.1:5080", "usage: dcos <command>")]
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
    [InlineData(new[] { "--help" }, "usage: dcos <command>")]
    [InlineData(new[] { "help" }, "usage: dcos <command>")]
    [InlineData(new[] { "app", "--help" }, "dcos app - long-running apps")]
    [InlineData(new[] { "help", "app", "scale" }, "usage: dcos app scale <id> <n> [--wait] [--no-wait] [--timeout SECONDS]")]
    [InlineData(new[] { "app", "scale", "-h" }, "usage: dcos app scale <id> <n> [--wait] [--no-wait] [--timeout SECONDS]")]
    [InlineData(new[] { "task", "log", "--help" }, "--tail BYTES")]
    [InlineData(new[] { "debug", "--help" }, "usage: dcos debug <app-id>")]
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
    public async Task OptionsMayComeBeforeTheCommandWords()
    {
        var master = new FakeMaster().Post("/api/apps/web/scale", SampleData.App(3, 3)).Get("/api/apps/web", SampleData.App(3, 3));

        var result = await CliRunner.Run(master, "--json", "app", "--timeout", "5", "scale", "web", "3");

        Assert.Equal(0, result.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(result.Stdout);
        Assert.Equal(3, doc.RootElement.GetProperty("instances").GetInt32());
    }
}
