using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>
/// The sample master secure by default, as a user starts it: the credentials it writes on first start, the API's
/// admin token and its cross-site defences, agents joining by token, and the refusal to run open beyond loopback.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecurityTests
{
    private const string App = """{"id": "/sec", "cmd": "sleep 600", "cpus": 0.1, "mem": 32, "instances": 0}""";

    private static HttpRequestMessage Post(string body, string contentType = "application/json", string? token = null, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/apps") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return request;
    }

    [Fact]
    public async Task The_api_needs_the_admin_token_to_change_anything_and_refuses_cross_site_requests()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("file modes are checked the Unix way");
        await using var cluster = await SampleCluster.StartAsync(localAgents: 0);
        using var anonymous = new HttpClient { BaseAddress = cluster.Api, Timeout = TimeSpan.FromSeconds(30) };
        var token = cluster.AdminToken;

        // Reads from this machine need no token; changes do, and a refused change changes nothing.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("api/apps")).StatusCode);
        var noToken = await anonymous.SendAsync(Post(App));
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Contains("needs the admin token", await noToken.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(Post(App, token: "dcos-admin-guess"))).StatusCode);
        // CSRF: a form or text/plain body, or another site's Origin, is refused even with the token.
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await anonymous.SendAsync(Post(App, "text/plain", token))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await anonymous.SendAsync(Post("id=/sec", "application/x-www-form-urlencoded", token))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.SendAsync(Post(App, token: token, origin: "http://evil.example"))).StatusCode);
        // DNS rebinding: a tokenless read that names another host is refused; a wrong token is refused even on a read.
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "api/apps"))
        {
            rebound.Headers.Host = "evil.example";
            Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.SendAsync(rebound)).StatusCode);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "api/apps"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "nope");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);
        }
        Assert.Equal("[]", (await anonymous.GetStringAsync("api/apps")).Trim());

        // The dashboard's own origin with the token works.
        Assert.Equal(HttpStatusCode.Created, (await anonymous.SendAsync(Post(App, token: token, origin: cluster.Api.GetLeftPart(UriPartial.Authority)))).StatusCode);
        Assert.Contains("/sec", await anonymous.GetStringAsync("api/apps"));

        // The credentials are the master's alone.
        foreach (var file in new[] { "cluster.secret", "join.token", "admin.token" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(cluster.DataDir, file)));
    }

    /// <summary>A framework of another team: it only records what the master says to it.</summary>
    private sealed class TeamScheduler : DcOs.Framework.FrameworkScheduler
    {
        public System.Threading.Channels.Channel<string> Errors { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public override Task ErrorAsync(DcOs.Framework.IFrameworkDriver driver, string message)
        {
            Errors.Writer.TryWrite(message);
            return Task.CompletedTask;
        }
    }

    private static async Task<string> MintAsync(SampleCluster cluster, string principal)
    {
        using var answer = await cluster.Http.PostAsync("api/frameworks/credentials", new StringContent($$"""{"principal": "{{principal}}"}""", Encoding.UTF8, "application/json"));
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, body);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    [Fact]
    public async Task A_minted_framework_credential_subscribes_over_tcp_and_no_other_principal_can_take_its_id()
    {
        await using var cluster = await SampleCluster.StartAsync(localAgents: 0);
        // Only the operator mints, and not for the master's own principals.
        using (var anonymous = new HttpClient { BaseAddress = cluster.Api })
        using (var refused = await anonymous.PostAsync("api/frameworks/credentials", new StringContent("""{"principal": "team-a"}""", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        foreach (var reserved in new[] { "dcos-services", "join", "agent/x", "" })
        {
            using var answer = await cluster.Http.PostAsync("api/frameworks/credentials", new StringContent($$"""{"principal": "{{reserved}}"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            Assert.Contains("principal", await answer.Content.ReadAsStringAsync());
        }
        var teamA = await MintAsync(cluster, "team-a");
        var teamB = await MintAsync(cluster, "team-b");
        var master = IPEndPoint.Parse(cluster.Output.Split('\n').First(l => l.StartsWith("dcos: api ", StringComparison.Ordinal)).Split(" master ")[1].Split(' ')[0]);

        var transport = DcOs.Transport.DcOsTransports.CreateTcp();
        var schedulerA = new TeamScheduler();
        await using var a = DcOs.Framework.DcOsFramework.Create(transport, new DcOs.Framework.FrameworkOptions
        {
            Master = master,
            Framework = new DcOs.Core.FrameworkInfo { Name = "team-a-batch", FailoverTimeout = TimeSpan.FromHours(1) },
            Credentials = DcOs.Transport.ClientCredentials.FromToken(teamA, DcOs.Transport.PeerRole.Framework),
        }, schedulerA);
        await a.StartAsync();
        await a.Subscribed.WaitAsync(TimeSpan.FromSeconds(30));

        // Team B's framework claims team A's id: refused, and A keeps its subscription.
        var schedulerB = new TeamScheduler();
        await using var b = DcOs.Framework.DcOsFramework.Create(transport, new DcOs.Framework.FrameworkOptions
        {
            Master = master,
            Framework = new DcOs.Core.FrameworkInfo { Id = a.FrameworkId, Name = "team-a-batch" },
            Credentials = DcOs.Transport.ClientCredentials.FromToken(teamB, DcOs.Transport.PeerRole.Framework),
        }, schedulerB);
        await b.StartAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Contains("belongs to principal 'team-a'", await schedulerB.Errors.Reader.ReadAsync(cts.Token));
        var frameworks = (await cluster.GetAsync("api/frameworks")).EnumerateArray().ToList();
        var mine = Assert.Single(frameworks, f => f.GetProperty("id").GetString() == a.FrameworkId.Value);
        Assert.True(mine.GetProperty("connected").GetBoolean());
        Assert.False(schedulerA.Errors.Reader.TryRead(out var error), error);
    }

    [Fact]
    public async Task Agents_join_with_the_token_get_their_own_credential_and_a_rogue_agent_is_refused()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("the agent host runs tasks as Linux processes");
        await using var cluster = await SampleCluster.StartAsync(localAgents: 1);
        var own = Path.Combine(cluster.DataDir, "agents", "agent-1", "agent.token");
        Assert.StartsWith("dcos1:agent/", File.ReadAllText(own), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(own));

        // A rogue agent host with a token of another cluster never registers.
        var forged = Path.Combine(cluster.DataDir, "forged.token");
        await File.WriteAllTextAsync(forged, "dcos1:join:" + Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        var masterPort = cluster.Output.Split('\n').First(l => l.StartsWith("dcos: api ", StringComparison.Ordinal)).Split(" master ")[1].Split(' ')[0];
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { SampleCluster.Program("DcOs.AgentHost"), "--master", masterPort, "--token-file", forged, "--work-dir", Path.Combine(cluster.DataDir, "rogue"), "--hostname", "rogue" })
            info.ArgumentList.Add(a);
        using var rogue = Process.Start(info)!;
        var refused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        void Watch(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (line.Contains("could not prove it holds", StringComparison.Ordinal)) refused.TrySetResult();
        }
        rogue.OutputDataReceived += (_, e) => Watch(e.Data);
        rogue.ErrorDataReceived += (_, e) => Watch(e.Data);
        rogue.BeginOutputReadLine();
        rogue.BeginErrorReadLine();
        try
        {
            await refused.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            lock (output) Assert.Fail("the rogue agent was not refused:\n" + output);
        }
        finally
        {
            rogue.Kill(entireProcessTree: true);
            await rogue.WaitForExitAsync();
        }
        var agents = await cluster.GetAsync("api/agents");
        Assert.Equal(["local-agent-1"], agents.EnumerateArray().Select(a => a.GetProperty("hostname").GetString()));
    }

    [Fact]
    public async Task A_task_runs_as_nobody_and_cannot_read_the_masters_data_or_tokens()
    {
        if (Environment.UserName != "root") Assert.Skip("the agents switch users only when they run as root (CI does)");
        await using var cluster = await SampleCluster.StartAsync(localAgents: 1);
        var probes = string.Join("; ", new[] { "master.db", "frameworks.db", "admin.token", "cluster.secret", "join.token" }
            .Select(f => $"cat {Path.Combine(cluster.DataDir, f)} > /dev/null 2>&1; echo {f}=$?"));
        var app = $$"""{"id": "/probe", "cmd": "id -un; {{probes}}; ls {{cluster.DataDir}} > /dev/null 2>&1; echo list=$?; sleep 600", "cpus": 0.1, "mem": 32}""";
        using (var created = await cluster.Http.PostAsync("api/apps", new StringContent(app, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        string? stdout = null;
        await cluster.EventuallyAsync(() =>
        {
            var file = Directory.EnumerateFiles(Path.Combine(cluster.DataDir, "agents"), "stdout", SearchOption.AllDirectories).FirstOrDefault();
            stdout = file is null ? null : File.ReadAllText(file);
            return Task.FromResult(stdout?.Contains("list=", StringComparison.Ordinal) == true);
        }, TimeSpan.FromSeconds(60), "the probe's output");

        Assert.StartsWith("nobody\n", stdout, StringComparison.Ordinal);
        foreach (var file in new[] { "master.db", "frameworks.db", "admin.token", "cluster.secret", "join.token" }) Assert.Contains($"{file}=1", stdout);
        Assert.Contains("list=2", stdout);
    }

    [Fact]
    public async Task An_insecure_master_refuses_to_listen_beyond_loopback()
    {
        var dataDir = Directory.CreateTempSubdirectory("dcos-insecure-");
        try
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { SampleCluster.Program("DcOs.SampleMaster"), "--insecure", "--listen", "0.0.0.0:0", "--http-port", "0", "--data-dir", dataDir.FullName })
                info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(2, process.ExitCode);
            Assert.StartsWith("dcos: --insecure is for loopback only", (await stderr).Trim(), StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(dataDir.FullName, "master.db")), "nothing was started");
        }
        finally
        {
            dataDir.Delete(recursive: true);
        }
    }
}
