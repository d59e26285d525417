using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DcOs.Transport.Internal;
using DcOs.Transport.Serialization;

namespace DcOs.Benchmarks.Transport;

/// <summary>
/// The ceiling: the same messages, framed and serialized by the same code into 64 KiB batches, written by a blocking
/// socket loop, and on the other side read by a blocking loop and deserialized one by one. No channels, no pipes.
/// </summary>
public static class RawThroughput
{
    public static double MessagesPerSecond(int count)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        sender.Connect(listener.LocalEndPoint!);
        using var receiver = listener.Accept();
        receiver.NoDelay = true;

        long received = 0;
        var receiving = new Thread(() => received = Receive(receiver, count)) { IsBackground = true };
        var watch = Stopwatch.StartNew();
        receiving.Start();

        var batch = new ArrayBufferWriter<byte>(128 * 1024);
        var scratch = new ArrayBufferWriter<byte>(512);
        var message = TransportWorkload.Message;
        for (var i = 0; i < count; i++)
        {
            FrameCodec.WriteFrame(batch, message, scratch, int.MaxValue);
            if (batch.WrittenCount >= 64 * 1024)
            {
                SendAll(sender, batch.WrittenSpan);
                batch.ResetWrittenCount();
            }
        }
        SendAll(sender, batch.WrittenSpan);
        receiving.Join();
        watch.Stop();
        if (received != count) throw new InvalidOperationException($"raw receiver got {received} of {count}");
        return count / watch.Elapsed.TotalSeconds;
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty) data = data[socket.Send(data)..];
    }

    private static long Receive(Socket socket, int count)
    {
        var buffer = new byte[256 * 1024];
        int start = 0, end = 0;
        long messages = 0;
        while (messages < count)
        {
            if (end == buffer.Length)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            var read = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
            if (read == 0) break;
            end += read;
            while (end - start >= 4)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start));
                if (end - start - 4 < length) break;
                _ = DcOsSerializer.Deserialize(new ReadOnlySequence<byte>(buffer, start + 4, length));
                messages++;
                start += 4 + length;
            }
        }
        return messages;
    }
}
