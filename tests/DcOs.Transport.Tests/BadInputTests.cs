using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DcOs.Transport.Messages;
using MessagePack;

namespace DcOs.Transport.Tests;

/// <summary>
/// Over real loopback TCP: each kind of bad input ends only the offending connection, with a specific logged reason,
/// while a healthy connection on the same listener keeps working.
/// </summary>
public sealed class BadInputTests
{
    private static byte[] MessagePackBody(Action<MessagePackWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        // The delegate gets a copy of the struct writer, so it flushes its own copy.
        write(writer);
        return buffer.WrittenSpan.ToArray();
    }

    public static TheoryData<string, byte[], bool, string> Cases()
    {
        var hugePrefix = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(hugePrefix, 2_000_000_000);
        var truncated = new byte[4 + 10];
        BinaryPrimitives.WriteUInt32BigEndian(truncated, 100);
        var unknownType = RawPeer.Frame(MessagePackBody(w =>
        {
            w.WriteArrayHeader(2);
            w.Write(999);
            w.WriteArrayHeader(0);
            w.Flush();
        }));
        var wrongFieldType = RawPeer.Frame(MessagePackBody(w =>
        {
            w.WriteArrayHeader(2);
            w.Write(6);
            w.WriteArrayHeader(1);
            w.Write("not a number");
            w.Flush();
        }));
        return new TheoryData<string, byte[], bool, string>
        {
            { "garbage bytes", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), false, "exceeds the limit" },
            { "huge length prefix", hugePrefix, false, "frame of 2000000000 bytes exceeds the limit of 16777216" },
            { "truncated frame", truncated, true, "truncated frame" },
            { "body that is not MessagePack", RawPeer.Frame([0xc1, 0xc1, 0xc1]), false, "is not a DcOs message" },
            { "unknown message type", unknownType, false, "unknown message type 999" },
            { "valid MessagePack of the wrong shape", wrongFieldType, false, "malformed Heartbeat message" },
            { "empty frame", new byte[4], false, "empty frame" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_ends_only_that_connection_with_a_logged_reason(string name, byte[] bytes, bool thenClose, string expected)
    {
        var logs = new TestLogs();
        var transport = DcOsTransports.CreateTcp(loggers: logs);
        await using var server = new TestServer(await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));

        var healthy = await transport.ConnectAsync(server.EndPoint, new ClientCredentials("healthy", PeerRole.Framework));
        healthy.Start(new RecordingHandler());
        var (_, healthyHandler) = await server.NextConnectionAsync();

        using var raw = await RawPeer.ConnectAuthenticatedAsync(server.EndPoint);
        var (_, rawHandler) = await server.NextConnectionAsync();
        await raw.SendRawAsync(bytes);
        if (thenClose) raw.Socket.Shutdown(SocketShutdown.Send);

        var reason = await rawHandler.ClosedReason.Within();
        Assert.True(reason.IsError, name);
        Assert.Contains(expected, reason.Message);
        Assert.True(logs.Contains(expected), $"the reason for '{name}' was not logged");

        // The other connection is untouched.
        await healthy.SendAsync(new ErrorMessage { Message = name });
        Assert.Equal(name, (await healthyHandler.NextAsync<ErrorMessage>()).Message);
        await healthy.CloseAsync("done");
    }

    [Fact]
    public async Task The_offending_peer_is_told_why_before_the_connection_closes()
    {
        var transport = DcOsTransports.CreateTcp();
        await using var server = new TestServer(await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        using var raw = await RawPeer.ConnectAuthenticatedAsync(server.EndPoint);
        await server.NextConnectionAsync();
        await raw.SendRawAsync(RawPeer.Frame([0xc1]));
        var seen = await raw.ReadUntilClosedAsync();
        var bye = Assert.IsType<Goodbye>(Assert.Single(seen));
        Assert.Contains("is not a DcOs message", bye.Reason);
    }

    [Fact]
    public async Task A_frame_sent_one_byte_per_write_is_read_correctly()
    {
        var transport = DcOsTransports.CreateTcp();
        await using var server = new TestServer(await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        using var raw = await RawPeer.ConnectAuthenticatedAsync(server.EndPoint);
        var (_, handler) = await server.NextConnectionAsync();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new DcOs.Transport.Internal.FrameWriter();
        writer.Write(buffer, new ErrorMessage { Message = "first" }, 1 << 20);
        writer.Write(buffer, new ErrorMessage { Message = "second" }, 1 << 20);
        foreach (var b in buffer.WrittenSpan.ToArray()) await raw.SendRawAsync([b]);
        Assert.Equal("first", (await handler.NextAsync<ErrorMessage>()).Message);
        Assert.Equal("second", (await handler.NextAsync<ErrorMessage>()).Message);
    }
}
