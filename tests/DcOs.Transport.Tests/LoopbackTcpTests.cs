using System.Net;
using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Transport.Tests;

public sealed class LoopbackTcpTests
{
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Messages_flow_both_ways_in_order_and_requests_get_their_answers()
    {
        var transport = DcOsTransports.CreateTcp();
        await using var server = new TestServer(await transport.ListenAsync(AnyLoopbackPort), () => new RecordingHandler
        {
            OnMessage = async (c, m) =>
            {
                if (m is Request { Body: Reconcile r } req) await c.ReplyAsync(req, new ErrorMessage { Message = r.Tasks.Count.ToString() });
            },
        });
        var client = await transport.ConnectAsync(server.EndPoint, new ClientCredentials("agent-1", PeerRole.Agent));
        var clientHandler = new RecordingHandler();
        client.Start(clientHandler);
        var (serverSide, serverHandler) = await server.NextConnectionAsync();
        Assert.Equal("agent-1", serverSide.Principal);
        Assert.Equal(PeerRole.Agent, serverSide.Role);

        for (var i = 0; i < 1000; i++)
        {
            await client.SendAsync(new StatusUpdate
            {
                FrameworkId = new FrameworkId("fw"),
                Status = new TaskStatusUpdate { TaskId = new TaskId("t" + i), State = TaskState.Running, UpdateId = Guid.NewGuid(), Timestamp = DateTimeOffset.UnixEpoch },
            });
        }
        for (var i = 0; i < 1000; i++)
        {
            var update = await serverHandler.NextAsync<StatusUpdate>();
            Assert.Equal("t" + i, update.Status!.TaskId.Value);
        }

        var answer = await client.RequestAsync(new Reconcile { Tasks = [new ReconcileTask { TaskId = new TaskId("a") }, new ReconcileTask { TaskId = new TaskId("b") }] }, TestTimeouts.Default);
        Assert.Equal("2", Assert.IsType<ErrorMessage>(answer).Message);

        await client.CloseAsync("done");
        var reason = await serverHandler.ClosedReason.Within();
        Assert.True(reason.ByPeer);
        Assert.Contains("done", reason.Message);
    }

    [Fact]
    public async Task A_client_given_a_local_address_connects_from_it()
    {
        // 127.0.0.2 is on the loopback interface too (127/8): a simulator spreads agents over such source addresses.
        var server = DcOsTransports.CreateTcp(new TransportOptions { ListenBacklog = 16 });
        await using var listening = new TestServer(await server.ListenAsync(AnyLoopbackPort), () => new RecordingHandler());
        var source = IPAddress.Parse("127.0.0.2");
        var client = await DcOsTransports.CreateTcp(new TransportOptions { LocalAddress = source }).ConnectAsync(listening.EndPoint, new ClientCredentials("agent-1", PeerRole.Agent));
        client.Start(new RecordingHandler());
        var (serverSide, _) = await listening.NextConnectionAsync();
        Assert.Equal(source, ((IPEndPoint)serverSide.RemoteEndPoint!).Address);
        await client.CloseAsync("done");
    }

    [Fact]
    public async Task Big_and_small_messages_alternate_intact_after_idle_pauses_which_let_go_of_send_buffers()
    {
        // The send side drops its scratch buffer after a big frame and the socket's reference to the last segment when it
        // goes idle (a zero-byte send): what follows must still arrive whole and in order.
        var transport = DcOsTransports.CreateTcp();
        await using var server = new TestServer(await transport.ListenAsync(AnyLoopbackPort), () => new RecordingHandler
        {
            OnMessage = async (c, m) =>
            {
                if (m is Request req) await c.ReplyAsync(req, new Heartbeat());
            },
        });
        var client = await transport.ConnectAsync(server.EndPoint, new ClientCredentials("agent-1", PeerRole.Agent));
        client.Start(new RecordingHandler());
        var (_, serverHandler) = await server.NextConnectionAsync();
        for (var round = 0; round < 4; round++)
        {
            var big = new string((char)('a' + round), 300_000);
            await client.SendAsync(new ErrorMessage { Message = big });
            await client.SendAsync(new ErrorMessage { Message = "small-" + round });
            Assert.Equal(big, (await serverHandler.NextAsync<ErrorMessage>()).Message);
            Assert.Equal("small-" + round, (await serverHandler.NextAsync<ErrorMessage>()).Message);
            // Idle between rounds: the next send starts from released buffers.
            Assert.IsType<Heartbeat>(await client.RequestAsync(new Heartbeat(), TestTimeouts.Default));
            await serverHandler.NextAsync<Request>();
        }
        await client.CloseAsync("done");
    }

    [Theory]
    [InlineData(0, "ListenBacklog")]
    [InlineData(-5, "ListenBacklog")]
    public void A_listen_backlog_below_one_is_refused_naming_the_option(int backlog, string field)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => DcOsTransports.CreateTcp(new TransportOptions { ListenBacklog = backlog }));
        Assert.Contains(field, e.Message);
    }
}
