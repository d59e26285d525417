using System.Buffers;
using System.Buffers.Binary;
using DcOs.Core;
using DcOs.Transport.Internal;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;

namespace DcOs.Transport.Tests;

public sealed class FrameCodecTests
{
    private static byte[] Frames(params DcOsMessage[] messages)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new FrameWriter();
        foreach (var m in messages) writer.Write(output, m, 1 << 20);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A sequence whose every byte is its own segment, the worst case for a parser.</summary>
    private static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(bytes[..1].ToArray(), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++) last = last.Append(bytes.Slice(i, 1).ToArray());
        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Fact]
    public void Frames_delivered_one_byte_at_a_time_parse_exactly_when_complete()
    {
        var messages = new DcOsMessage[]
        {
            new Heartbeat { Sequence = 7 },
            new StatusUpdate { FrameworkId = new FrameworkId("fw"), Status = new TaskStatusUpdate { TaskId = new TaskId("t"), State = TaskState.Running } },
            new ErrorMessage { Message = new string('y', 300) },
        };
        var bytes = Frames(messages);
        var parsed = new List<DcOsMessage>();
        var consumed = 0;
        for (var available = 0; available <= bytes.Length; available++)
        {
            var buffer = OneBytePerSegment(bytes.AsSpan(consumed, available - consumed));
            while (FrameCodec.TryReadFrame(ref buffer, 1 << 20, out var body))
            {
                parsed.Add(DcOsSerializer.Deserialize(body));
            }
            consumed = available - (int)buffer.Length;
        }
        Assert.Equal(3, parsed.Count);
        Assert.Equal(7, Assert.IsType<Heartbeat>(parsed[0]).Sequence);
        Assert.Equal("t", Assert.IsType<StatusUpdate>(parsed[1]).Status!.TaskId.Value);
        Assert.Equal(300, Assert.IsType<ErrorMessage>(parsed[2]).Message.Length);
    }

    [Fact]
    public void A_huge_length_prefix_is_refused_from_the_four_header_bytes_alone()
    {
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, uint.MaxValue);
        var buffer = new ReadOnlySequence<byte>(header);
        var e = Assert.Throws<ProtocolViolationException>(() => FrameCodec.TryReadFrame(ref buffer, 16 << 20, out _));
        Assert.Contains("exceeds the limit of 16777216", e.Message);
    }

    [Fact]
    public void A_zero_length_frame_is_refused()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[4]);
        Assert.Throws<ProtocolViolationException>(() => FrameCodec.TryReadFrame(ref buffer, 1024, out _));
    }

    [Fact]
    public void A_large_message_spills_and_still_makes_one_correct_frame()
    {
        var big = new ErrorMessage { Message = new string('z', 100_000) };
        var bytes = Frames(new Heartbeat(), big, new Heartbeat { Sequence = 2 });
        var buffer = new ReadOnlySequence<byte>(bytes);
        var read = new List<DcOsMessage>();
        while (FrameCodec.TryReadFrame(ref buffer, 1 << 20, out var body)) read.Add(DcOsSerializer.Deserialize(body));
        Assert.Equal(3, read.Count);
        Assert.Equal(100_000, Assert.IsType<ErrorMessage>(read[1]).Message.Length);
        Assert.Equal(2, Assert.IsType<Heartbeat>(read[2]).Sequence);
    }

    [Fact]
    public void A_message_over_the_frame_limit_is_not_written()
    {
        var output = new ArrayBufferWriter<byte>();
        var e = Assert.Throws<ProtocolViolationException>(() => new FrameWriter().Write(output, new ErrorMessage { Message = new string('z', 5000) }, 1024));
        Assert.Contains("exceeds the frame limit of 1024", e.Message);
    }
}
