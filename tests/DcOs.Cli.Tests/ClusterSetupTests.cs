using System.Net;

namespace DcOs.Cli.Tests;

/// <summary><c>dcos cluster setup</c> and the admin token: stored for one master, sent to that master only.</summary>
public sealed class ClusterSetupTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("dcos-cli-setup-");

    private Dictionary<string, string?> Environment => new() { ["DCOS_DIR"] = _dir.FullName };

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Setup_checks_the_token_stores_it_owner_only_and_every_later_command_sends_it()
    {
        using var token = new CliRunner.TempFile("dcos-admin-0123456789abcdef\n", "admin.token");
        var master = new FakeMaster().Get("/api/agents", "[]").Get("/api/apps", "[]");

        var setup = await CliRunner.Run(master, Environment, "cluster", "setup", "http://10.0.0.5:5080", "--token-file", token.Path);
        var list = await CliRunner.Run(master, Environment, "app", "list");

        Assert.Equal(0, setup.ExitCode);
        Assert.Contains("accepted the token", setup.Stdout);
        var config = Path.Combine(_dir.FullName, "config.json");
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        Assert.Contains("\"url\": \"http://10.0.0.5:5080\"", File.ReadAllText(config));
        Assert.Equal(0, list.ExitCode);
        Assert.All(master.Requests, r => Assert.Equal("Bearer dcos-admin-0123456789abcdef", r.Authorization));
        Assert.All(master.Requests, r => Assert.Equal("10.0.0.5", r.Uri.Host));
    }

    [Fact]
    public async Task A_token_the_master_refuses_is_not_stored()
    {
        using var token = new CliRunner.TempFile("wrong-token-0123456789\n", "admin.token");
        var master = new FakeMaster().Error("GET", "/api/agents", HttpStatusCode.Unauthorized, "the token is not this cluster's admin token");

        var setup = await CliRunner.Run(master, Environment, "cluster", "setup", "http://10.0.0.5:5080", "--token-file", token.Path);

        Assert.Equal(1, setup.ExitCode);
        Assert.Equal(["error: the token is not this cluster's admin token"], setup.StderrLines);
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "config.json")));
    }

    [Fact]
    public async Task Setup_without_a_token_is_a_usage_error()
    {
        var result = await CliRunner.Run(new FakeMaster(), Environment, "cluster", "setup", "http://10.0.0.5:5080");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: give the admin token with --token-file FILE", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stored_token_goes_to_its_own_master_only_and_DCOS_TOKEN_wins()
    {
        new CliConfigWriter(_dir).Write("http://10.0.0.5:5080", "stored-token-0123456789");
        var master = new FakeMaster().Get("/api/apps", "[]");

        await CliRunner.Run(master, Environment, "--master", "http://other:5080", "app", "list");
        var withVariable = new Dictionary<string, string?>(Environment) { ["DCOS_TOKEN"] = "env-token-0123456789" };
        await CliRunner.Run(master, withVariable, "app", "list");

        Assert.Null(master.Requests[0].Authorization);
        Assert.Equal("other", master.Requests[0].Uri.Host);
        Assert.Equal("Bearer env-token-0123456789", master.Requests[1].Authorization);
        Assert.Equal("10.0.0.5", master.Requests[1].Uri.Host);
    }

    [Fact]
    public async Task A_refused_call_says_what_the_master_said()
    {
        var master = new FakeMaster().Error("POST", "/api/apps/web/restart", HttpStatusCode.Unauthorized, "this call needs the admin token: send Authorization: Bearer <token>");

        var result = await CliRunner.Run(master, Environment, "app", "restart", "web", "--no-wait");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: this call needs the admin token: send Authorization: Bearer <token>"], result.StderrLines);
    }

    private sealed class CliConfigWriter(DirectoryInfo dir)
    {
        public void Write(string url, string token) =>
            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), $$"""{"url": "{{url}}", "token": "{{token}}"}""");
    }

    [Fact]
    public async Task Credential_asks_the_master_for_a_principals_token_and_writes_it_owner_only()
    {
        new CliConfigWriter(_dir).Write("http://10.0.0.5:5080", "stored-token-0123456789");
        var master = new FakeMaster().Post("/api/frameworks/credentials", """{"principal": "team-a", "token": "dcos1:team-a:c2VjcmV0"}""");
        var file = Path.Combine(_dir.FullName, "team-a.token");

        var printed = await CliRunner.Run(master, Environment, "cluster", "credential", "team-a");
        var written = await CliRunner.Run(master, Environment, "cluster", "credential", "team-a", "--out", file);

        Assert.Equal(0, printed.ExitCode);
        Assert.Equal("dcos1:team-a:c2VjcmV0", printed.Stdout.Trim());
        Assert.Equal(0, written.ExitCode);
        Assert.Equal("dcos1:team-a:c2VjcmV0\n", File.ReadAllText(file));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.All(master.Sent("POST", "/api/frameworks/credentials"), r => Assert.Equal("{\"principal\":\"team-a\"}", r.Body));
        Assert.All(master.Requests, r => Assert.Equal("Bearer stored-token-0123456789", r.Authorization));
    }
}
