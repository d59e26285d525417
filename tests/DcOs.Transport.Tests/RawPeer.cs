using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using DcOs.Transport.Internal;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;

namespace DcOs.Transport.Tests;

/// <summary>A hand-driven TCP peer: speaks the handshake itself, then sends whatever bytes a test wants.</summary>
internal sealed class RawPeer : IDisposable
{
    private readonly Socket _socket;

    private RawPeer(Socket socket) => _socket = socket;

    public static async Task<RawPeer> ConnectAsync(EndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new RawPeer(socket);
    }

    /// <summary>Connects and completes the handshake against an open server.</summary>
    public static async Task<RawPeer> ConnectAuthenticatedAsync(EndPoint endPoint, string principal = "raw")
    {
        var peer = await ConnectAsync(endPoint);
        await peer.SendAsync(new Hello { ProtocolVersion = ProtocolVersion.Current, Principal = principal, Role = PeerRole.Agent, ClientNonce = RandomNumberGenerator.GetBytes(32) });
        Assert.IsType<Challenge>(await peer.ReadAsync());
        await peer.SendAsync(new Authenticate());
        Assert.IsType<Welcome>(await peer.ReadAsync());
        return peer;
    }

    public Socket Socket => _socket;

    public async Task SendAsync(DcOsMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new FrameWriter().Write(buffer, message, int.MaxValue);
        await SendRawAsync(buffer.WrittenSpan.ToArray());
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length) sent += await _socket.SendAsync(bytes.AsMemory(sent));
    }

    public static byte[] Frame(byte[] body)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    public async Task<DcOsMessage> ReadAsync()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Default);
        var header = new byte[4];
        await ReadExactlyAsync(header, cts.Token);
        var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await ReadExactlyAsync(body, cts.Token);
        return DcOsSerializer.Deserialize(new ReadOnlySequence<byte>(body));
    }

    /// <summary>Reads until the server closes; returns the messages seen (e.g. a Goodbye with the reason).</summary>
    public async Task<List<DcOsMessage>> ReadUntilClosedAsync()
    {
        var messages = new List<DcOsMessage>();
        try
        {
            while (true) messages.Add(await ReadAsync());
        }
        catch (EndOfStreamException)
        {
        }
        catch (SocketException)
        {
        }
        return messages;
    }

    private async Task ReadExactlyAsync(byte[] buffer, CancellationToken token)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _socket.ReceiveAsync(buffer.AsMemory(read), token);
            if (n == 0) throw new EndOfStreamException();
            read += n;
        }
    }

    public void Dispose() => _socket.Dispose();
}
