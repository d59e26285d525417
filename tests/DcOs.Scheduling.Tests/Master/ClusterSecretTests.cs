using System.Net;
using DcOs.Core;
using DcOs.Scheduling.Master;
using DcOs.Transport;
using DcOs.Transport.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>
/// A master with a cluster secret: every connection authenticates with a credential derived from it, and identities
/// are bound (the join token only adds agents, an agent's own credential is only that agent, a framework id belongs to
/// the principal that subscribed it). The transport is the real in-memory one, with the master's resolver.
/// </summary>
public sealed class ClusterSecretTests
{
    private static (MasterHarness Master, ClusterSecret Secret) Secured()
    {
        var secret = ClusterSecret.Create();
        var transport = DcOsTransports.CreateInMemory(new TransportOptions { CredentialResolver = secret.Resolve });
        return (new MasterHarness(o => o.ClusterSecret = secret, transport: transport), secret);
    }

    private static AgentInfo Agent(string hostname) => new() { Hostname = hostname, Resources = Resources.Parse("cpus:2;mem:1024") };

    [Fact]
    public async Task An_agent_joins_with_the_join_token_and_comes_back_with_its_own_credential_only()
    {
        var (master, secret) = Secured();
        await using var _ = master;
        await master.StartAsync();

        var agent = new FakeAgent();
        await agent.ConnectAsync(master.Transport, master.EndPoint, Agent("a1"), reregister: false, [], secret.JoinCredentials());
        var own = ClientCredentials.FromToken(agent.Token!, PeerRole.Agent);
        Assert.Equal(ClusterSecret.AgentPrincipalPrefix + agent.Id.Value, own.Principal);
        await agent.Connection.CloseAsync("restart");

        // Its own credential re-registers it.
        var back = new FakeAgent();
        await back.ConnectAsync(master.Transport, master.EndPoint, agent.Info, reregister: true, [], own);
        Assert.Equal(agent.Id, back.Id);
        Assert.Null(back.Token);
        await back.Connection.CloseAsync("restart");

        // The join token cannot take over a known agent, nor can another agent's credential.
        var thief = new FakeAgent();
        var refused = Assert.IsType<ErrorMessage>(await thief.TryConnectAsync(master.Transport, master.EndPoint, agent.Info, reregister: true, [], secret.JoinCredentials()));
        Assert.Equal(ErrorCode.Unauthorized, refused.Code);
        Assert.Contains("its own credential", refused.Message);
        var other = new FakeAgent();
        await other.ConnectAsync(master.Transport, master.EndPoint, Agent("a2"), reregister: false, [], secret.JoinCredentials());
        var impostor = new FakeAgent();
        refused = Assert.IsType<ErrorMessage>(await impostor.TryConnectAsync(master.Transport, master.EndPoint, agent.Info, reregister: true, [],
            ClientCredentials.FromToken(other.Token!, PeerRole.Agent)));
        Assert.Equal(ErrorCode.Unauthorized, refused.Code);

        // An agent's own credential cannot add agents either: new agents come with the join token.
        var adder = new FakeAgent();
        refused = Assert.IsType<ErrorMessage>(await adder.TryConnectAsync(master.Transport, master.EndPoint, Agent("a3"), reregister: false, [], own));
        Assert.Equal(ErrorCode.Unauthorized, refused.Code);
        Assert.Single(await master.Master.GetAgentsAsync(), a => a.Info.Hostname == "a1");
    }

    [Fact]
    public async Task A_wrong_or_missing_secret_is_refused_in_the_handshake()
    {
        var (master, secret) = Secured();
        await using var _ = master;
        await master.StartAsync();
        var forged = ClusterSecret.Create().JoinCredentials();

        var wrong = await Assert.ThrowsAsync<HandshakeFailedException>(async () => await master.Transport.ConnectAsync(master.EndPoint, forged));
        var none = await Assert.ThrowsAsync<HandshakeFailedException>(async () => await master.Transport.ConnectAsync(master.EndPoint, new ClientCredentials(ClusterSecret.JoinPrincipal, PeerRole.Agent)));
        // A framework token does not make an agent, nor the join token a framework.
        var crossed = await Assert.ThrowsAsync<HandshakeFailedException>(async () =>
            await master.Transport.ConnectAsync(master.EndPoint, secret.FrameworkCredentials("services") with { Role = PeerRole.Agent }));

        // Authentication is mutual: a client with a secret the master does not derive finds out first.
        Assert.Contains("the server could not prove it holds this principal's secret", wrong.Message);
        Assert.Contains("no secret was presented", none.Message);
        Assert.Contains("the server could not prove it holds this principal's secret", crossed.Message);
        Assert.Empty(await master.Master.GetAgentsAsync());
    }

    [Fact]
    public async Task A_framework_id_can_be_resubscribed_only_by_the_principal_that_owns_it()
    {
        var (master, secret) = Secured();
        await using var _ = master;
        await master.StartAsync();
        var info = new FrameworkInfo { Name = "services", FailoverTimeout = TimeSpan.FromMinutes(10), Principal = "someone-else" };

        var owner = await master.Transport.ConnectAsync(master.EndPoint, secret.FrameworkCredentials("services"));
        owner.Start(new FakeAgent());
        var id = Assert.IsType<FrameworkSubscribed>(await owner.RequestAsync(new SubscribeFramework { Framework = info }, MasterHarness.Timeout)).FrameworkId;
        // The principal recorded is the one authenticated, not the one the FrameworkInfo claims.
        Assert.Equal("services", Assert.Single(await master.Master.GetFrameworksAsync()).Info.Principal);

        var rival = await master.Transport.ConnectAsync(master.EndPoint, secret.FrameworkCredentials("intruder"));
        rival.Start(new FakeAgent());
        var refused = Assert.IsType<ErrorMessage>(await rival.RequestAsync(new SubscribeFramework { Framework = info with { Id = id } }, MasterHarness.Timeout));
        Assert.Equal(ErrorCode.Unauthorized, refused.Code);
        Assert.Contains("belongs to principal 'services'", refused.Message);
        Assert.True((await master.Master.GetFrameworksAsync()).Single().Connected, "the owner is still subscribed");

        var failover = await master.Transport.ConnectAsync(master.EndPoint, secret.FrameworkCredentials("services"));
        failover.Start(new FakeAgent());
        Assert.Equal(id, Assert.IsType<FrameworkSubscribed>(await failover.RequestAsync(new SubscribeFramework { Framework = info with { Id = id } }, MasterHarness.Timeout)).FrameworkId);
    }

    [Fact]
    public async Task A_master_refuses_to_listen_beyond_loopback_without_authentication()
    {
        var open = Host.CreateEmptyApplicationBuilder(null);
        open.Services.AddDcOsMaster(o => o.EndPoint = new IPEndPoint(IPAddress.Any, 0));
        using var openHost = open.Build();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => openHost.StartAsync());

        Assert.Contains("without authentication", e.Message);
        Assert.Contains("UseClusterSecret", e.Message);

        var secured = Host.CreateEmptyApplicationBuilder(null);
        secured.Services.AddDcOsMaster(o => o.EndPoint = new IPEndPoint(IPAddress.Loopback, 0)).UseClusterSecret(ClusterSecret.Create());
        using var securedHost = secured.Build();
        await securedHost.StartAsync();
        await securedHost.StopAsync();
    }

    [Fact]
    public void Tokens_round_trip_and_bad_ones_say_why_without_the_secret()
    {
        var secret = ClusterSecret.Create();
        var join = secret.JoinCredentials();
        var token = join.ToToken();

        var parsed = ClientCredentials.FromToken(token + "\n", PeerRole.Agent);

        Assert.StartsWith("dcos1:join:", token, StringComparison.Ordinal);
        Assert.Equal(join.Secret, parsed.Secret);
        Assert.Equal("join as Agent", parsed.ToString());
        Assert.Contains("starts with", Assert.Throws<FormatException>(() => ClientCredentials.FromToken("join:abc", PeerRole.Agent)).Message);
        Assert.Contains("shorter than 16 bytes", Assert.Throws<FormatException>(() => ClientCredentials.FromToken("dcos1:join:YWJj", PeerRole.Agent)).Message);
        Assert.Contains("not base64url", Assert.Throws<FormatException>(() => ClientCredentials.FromToken("dcos1:join:***", PeerRole.Agent)).Message);
        Assert.DoesNotContain(Convert.ToBase64String(join.Secret!), secret.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_secret_file_is_created_owner_only_and_read_back()
    {
        var dir = Directory.CreateTempSubdirectory("dcos-secret-");
        try
        {
            var path = Path.Combine(dir.FullName, "cluster.secret");
            var first = ClusterSecret.LoadOrCreate(path, out var created);
            var again = ClusterSecret.LoadOrCreate(path, out var createdAgain);

            Assert.True(created);
            Assert.False(createdAgain);
            Assert.Equal(first.JoinCredentials().Secret, again.JoinCredentials().Secret);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            File.WriteAllText(path, "not a secret");
            Assert.Contains("does not hold a cluster secret", Assert.Throws<InvalidDataException>(() => ClusterSecret.LoadOrCreate(path, out _)).Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
