using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DcOs.Transport.Internal;
using DcOs.Transport.Messages;

namespace DcOs.Transport.Tests;

public sealed class AuthenticationTests
{
    private static readonly byte[] AgentSecret = Encoding.UTF8.GetBytes("agent-secret-0123456789");

    private static TransportOptions Secured() => new()
    {
        Credentials =
        {
            new TransportCredential("agent-1", AgentSecret, PeerRole.Agent),
            new TransportCredential("ops", Encoding.UTF8.GetBytes("operator-secret-0123456789"), PeerRole.Operator),
        },
    };

    [Fact]
    public async Task The_right_secret_yields_the_authenticated_principal_and_role()
    {
        var server = DcOsTransports.CreateTcp(Secured());
        await using var listener = new TestServer(await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        var client = DcOsTransports.CreateTcp();
        var connection = await client.ConnectAsync(listener.EndPoint, new ClientCredentials("agent-1", PeerRole.Agent, AgentSecret));
        connection.Start(new RecordingHandler());
        var (accepted, _) = await listener.NextConnectionAsync();
        Assert.Equal(("agent-1", PeerRole.Agent), (accepted.Principal, accepted.Role));
        await connection.CloseAsync("done");
    }

    [Fact]
    public async Task A_client_with_the_wrong_secret_is_refused_before_anything_is_exchanged()
    {
        var server = DcOsTransports.CreateTcp(Secured());
        await using var listener = new TestServer(await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        var e = await Assert.ThrowsAsync<HandshakeFailedException>(() =>
            DcOsTransports.CreateTcp().ConnectAsync(listener.EndPoint, ClientCredentials.WithTextSecret("agent-1", PeerRole.Agent, "not-the-secret-at-all")).AsTask());
        Assert.Contains("wrong secret", e.Reason);
    }

    [Fact]
    public async Task A_client_without_a_secret_is_refused_with_a_clear_reason()
    {
        var server = DcOsTransports.CreateTcp(Secured());
        await using var listener = new TestServer(await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        var e = await Assert.ThrowsAsync<HandshakeFailedException>(() =>
            DcOsTransports.CreateTcp().ConnectAsync(listener.EndPoint, new ClientCredentials("agent-1", PeerRole.Agent)).AsTask());
        Assert.Contains("no secret was presented", e.Reason);
    }

    [Theory]
    [InlineData("agent-1", PeerRole.Operator)]
    [InlineData("stranger", PeerRole.Agent)]
    public async Task A_role_not_granted_or_an_unknown_principal_is_refused(string principal, PeerRole role)
    {
        var server = DcOsTransports.CreateInMemory(Secured());
        await using var listener = new TestServer(await server.ListenAsync(new InMemoryEndPoint("auth")));
        await Assert.ThrowsAsync<HandshakeFailedException>(() =>
            server.ConnectAsync(listener.EndPoint, new ClientCredentials(principal, role, AgentSecret)).AsTask());
    }

    [Fact]
    public async Task A_server_refuses_a_wrong_proof_even_from_a_client_that_skips_checking_the_server()
    {
        var server = DcOsTransports.CreateTcp(Secured());
        await using var listener = new TestServer(await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        using var raw = await RawPeer.ConnectAsync(listener.EndPoint);
        await raw.SendAsync(new Hello { ProtocolVersion = ProtocolVersion.Current, Principal = "agent-1", Role = PeerRole.Agent, ClientNonce = RandomNumberGenerator.GetBytes(32) });
        Assert.IsType<Challenge>(await raw.ReadAsync());
        await raw.SendAsync(new Authenticate { Proof = RandomNumberGenerator.GetBytes(32) });
        var refused = Assert.IsType<Refused>(await raw.ReadAsync());
        Assert.Contains("authentication failed for principal 'agent-1'", refused.Reason);
        Assert.Empty(await raw.ReadUntilClosedAsync());
    }

    [Fact]
    public async Task An_unknown_protocol_version_is_refused_with_both_versions_named()
    {
        var server = DcOsTransports.CreateTcp();
        await using var listener = new TestServer(await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        using var raw = await RawPeer.ConnectAsync(listener.EndPoint);
        await raw.SendAsync(new Hello { ProtocolVersion = 99, Principal = "x", Role = PeerRole.Agent, ClientNonce = RandomNumberGenerator.GetBytes(32) });
        var refused = Assert.IsType<Refused>(await raw.ReadAsync());
        Assert.Equal($"protocol version 99 is not supported; this server speaks version {ProtocolVersion.Current}", refused.Reason);
    }

    [Fact]
    public async Task The_secret_never_crosses_the_wire()
    {
        // Both handshakes over pipes with a tap that records every byte either side writes.
        var options = Secured();
        var clientToServer = new Pipe();
        var serverToClient = new Pipe();
        var tapped = new Pipe();
        var seen = new ArrayBufferWriter<byte>();
        var relay = Task.Run(async () =>
        {
            while (true)
            {
                var r = await tapped.Reader.ReadAsync();
                foreach (var segment in r.Buffer) seen.Write(segment.Span);
                foreach (var segment in r.Buffer) await clientToServer.Writer.WriteAsync(segment);
                tapped.Reader.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted) break;
            }
        });
        var clientSide = new TestDuplexPipe(serverToClient.Reader, tapped.Writer);
        var serverSide = new TestDuplexPipe(clientToServer.Reader, serverToClient.Writer);
        var serverTask = Handshake.RunServerAsync(serverSide, options, CancellationToken.None);
        var clientResult = await Handshake.RunClientAsync(clientSide, new ClientCredentials("agent-1", PeerRole.Agent, AgentSecret), options, CancellationToken.None);
        var serverResult = await serverTask;
        Assert.Equal(("agent-1", PeerRole.Agent), (clientResult.Principal, clientResult.Role));
        Assert.Equal((clientResult.Principal, clientResult.Role), serverResult);
        Assert.Equal(options.HeartbeatInterval, clientResult.ServerHeartbeat);
        await tapped.Writer.CompleteAsync();
        await relay;
        Assert.True(seen.WrittenCount > 0);
        Assert.Equal(-1, seen.WrittenSpan.IndexOf(AgentSecret));
    }

    private sealed class TestDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
