using System.Buffers;
using System.Buffers.Binary;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;

namespace DcOs.Transport.Internal;

/// <summary>
/// Writes frames straight into an output buffer: it takes one block of the output's memory, lets MessagePack serialize
/// after a 4-byte gap, fills the gap with the length, and advances once, so the common small message is never copied.
/// A message that outgrows the block spills into a scratch buffer and is copied once.
/// Not thread-safe: one per send loop.
/// </summary>
internal sealed class FrameWriter : IBufferWriter<byte>
{
    /// <summary>
    /// What the writer asks of the output for a frame: small, so frames share the output's 4 KiB blocks (asking for 4 KiB
    /// took a block per frame); a frame that outgrows it is copied once.
    /// </summary>
    private const int BlockHint = 1024;

    /// <summary>A spilled frame bigger than this does not keep its scratch buffer (an idle connection holds none).</summary>
    private const int KeptSpill = 64 * 1024;

    // Made on the first spill, not per connection: most connections never send a message over 4 KiB.
    private ArrayBufferWriter<byte>? _spill;
    private Memory<byte> _block;
    private int _length;
    private bool _spilled;

    /// <summary>Writes <paramref name="message"/> as one frame; returns the frame's size.</summary>
    /// <exception cref="ProtocolViolationException">The body exceeds <paramref name="maxFrameSize"/>.</exception>
    public int Write(IBufferWriter<byte> output, DcOsMessage message, int maxFrameSize)
    {
        _block = output.GetMemory(BlockHint);
        _length = 0;
        _spilled = false;
        _spill?.ResetWrittenCount();
        DcOsSerializer.Serialize(this, message);
        var bodyLength = _spilled ? _spill!.WrittenCount : _length;
        if (bodyLength > maxFrameSize)
            throw new ProtocolViolationException($"a {message.GetType().Name} of {bodyLength} bytes exceeds the frame limit of {maxFrameSize}");
        if (!_spilled)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_block.Span, (uint)_length);
            output.Advance(FrameCodec.HeaderSize + _length);
        }
        else
        {
            Span<byte> header = stackalloc byte[FrameCodec.HeaderSize];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)bodyLength);
            output.Write(header);
            output.Write(_spill!.WrittenSpan);
            if (_spill.Capacity > KeptSpill) _spill = null;
        }
        _block = default;
        return FrameCodec.HeaderSize + bodyLength;
    }

    void IBufferWriter<byte>.Advance(int count)
    {
        if (_spilled) _spill!.Advance(count);
        else _length += count;
    }

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint)
    {
        var need = Math.Max(sizeHint, 1);
        if (!_spilled && FrameCodec.HeaderSize + _length + need <= _block.Length) return _block[(FrameCodec.HeaderSize + _length)..];
        if (!_spilled)
        {
            _spill ??= new ArrayBufferWriter<byte>(4 * BlockHint);
            _spill.Write(_block.Span.Slice(FrameCodec.HeaderSize, _length));
            _spilled = true;
        }
        return _spill!.GetMemory(sizeHint);
    }

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint) => ((IBufferWriter<byte>)this).GetMemory(sizeHint).Span;
}
