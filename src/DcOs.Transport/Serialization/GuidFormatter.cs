using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary>A <see cref="Guid"/> as 16 raw bytes (MessagePack's default is 36 characters of text).</summary>
internal sealed class GuidFormatter : IMessagePackFormatter<Guid>
{
    public static readonly GuidFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Guid value, MessagePackSerializerOptions options)
    {
        writer.WriteBinHeader(16);
        value.TryWriteBytes(writer.GetSpan(16));
        writer.Advance(16);
    }

    public Guid Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var seq = reader.ReadBytes() ?? throw new MessagePackSerializationException("a guid is nil");
        if (seq.Length != 16) throw new MessagePackSerializationException($"a guid has 16 bytes, not {seq.Length}");
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.BuffersExtensions.CopyTo(seq, bytes);
        return new Guid(bytes);
    }
}
