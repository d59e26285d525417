using System.Buffers;
using System.Buffers.Binary;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;

namespace DcOs.Transport.Internal;

/// <summary>
/// Frames: a 4-byte big-endian body length, then the MessagePack body. The length is checked against the limit before
/// anything is allocated or waited for, so a huge prefix ends the connection at once.
/// </summary>
internal static class FrameCodec
{
    public const int HeaderSize = 4;

    /// <summary>
    /// Takes one whole frame's body off the front of <paramref name="buffer"/>; false when more bytes are needed.
    /// </summary>
    /// <exception cref="ProtocolViolationException">The length prefix is zero or larger than <paramref name="maxFrameSize"/>.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out ReadOnlySequence<byte> body)
    {
        body = default;
        if (buffer.Length < HeaderSize) return false;
        uint length;
        if (buffer.FirstSpan.Length >= HeaderSize)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(buffer.FirstSpan);
        }
        else
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            buffer.Slice(0, HeaderSize).CopyTo(header);
            length = BinaryPrimitives.ReadUInt32BigEndian(header);
        }
        if (length == 0) ThrowEmpty();
        if (length > (uint)maxFrameSize) ThrowTooLarge(length, maxFrameSize);
        if (buffer.Length - HeaderSize < length) return false;
        body = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(body.End);
        return true;
    }

    /// <summary>Writes one frame for <paramref name="message"/>, serializing through <paramref name="scratch"/>.</summary>
    /// <returns>The frame's size in bytes.</returns>
    /// <exception cref="ProtocolViolationException">The message serializes to more than <paramref name="maxFrameSize"/>.</exception>
    public static int WriteFrame(IBufferWriter<byte> output, DcOsMessage message, ArrayBufferWriter<byte> scratch, int maxFrameSize)
    {
        scratch.ResetWrittenCount();
        DcOsSerializer.Serialize(scratch, message);
        var body = scratch.WrittenSpan;
        if (body.Length > maxFrameSize)
            throw new ProtocolViolationException($"a {message.GetType().Name} of {body.Length} bytes exceeds the frame limit of {maxFrameSize}");
        var span = output.GetSpan(HeaderSize + body.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)body.Length);
        body.CopyTo(span[HeaderSize..]);
        output.Advance(HeaderSize + body.Length);
        return HeaderSize + body.Length;
    }

    private static void ThrowEmpty() => throw new ProtocolViolationException("empty frame (length prefix 0)");

    private static void ThrowTooLarge(uint length, int max) =>
        throw new ProtocolViolationException($"frame of {length} bytes exceeds the limit of {max}");
}
