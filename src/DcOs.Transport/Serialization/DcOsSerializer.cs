using System.Buffers;
using MessagePack;
using MessagePack.Resolvers;
using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Transport.Serialization;

/// <summary>
/// The protocol's MessagePack options: formatters for Core types, the standard resolver for message classes, and
/// <see cref="MessagePackSecurity.UntrustedData"/> for everything read (hash-flooding resistant maps, depth limit).
/// </summary>
internal static class DcOsSerializer
{
    private static readonly IFormatterResolver Resolver = CompositeResolver.Create(
        [
            .. IdFormatters.All,
            ResourcesFormatter.Instance,
            AttributesFormatter.Instance,
            GuidFormatter.Instance,
            TaskSpecFormatter.Instance,
            TaskStatusUpdateFormatter.Instance,
            AgentInfoFormatter.Instance,
            CostModelFormatter.Instance,
            FrameworkInfoFormatter.Instance,
            OfferFormatter.Instance,
        ],
        [StandardResolverAllowPrivate.Instance]);

    /// <summary>Options for reading from the network.</summary>
    public static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithResolver(Resolver).WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Writes <paramref name="message"/> to <paramref name="writer"/>.</summary>
    public static void Serialize(IBufferWriter<byte> writer, DcOsMessage message) =>
        MessagePackSerializer.Serialize(writer, message, Options);

    /// <summary>Reads one message from <paramref name="body"/>; throws <see cref="MessagePackSerializationException"/> on bad input.</summary>
    public static DcOsMessage Deserialize(in ReadOnlySequence<byte> body) =>
        MessagePackSerializer.Deserialize<DcOsMessage>(body, Options) ?? throw new MessagePackSerializationException("the message is nil");

    /// <summary>Serializes to a new array (tests, tools).</summary>
    public static byte[] ToBytes(DcOsMessage message) => MessagePackSerializer.Serialize(message, Options);

    [ThreadStatic] private static ArrayBufferWriter<byte>? _sizing;

    /// <summary>The bytes <paramref name="offer"/> takes inside a message, exactly (it is written to a scratch buffer).</summary>
    public static int SizeOf(Offer offer)
    {
        var buffer = _sizing ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(buffer);
        OfferFormatter.Instance.Serialize(ref writer, offer, Options);
        writer.Flush();
        return buffer.WrittenCount;
    }

    /// <summary>
    /// The union key at the start of <paramref name="body"/>, or null when the body is not shaped as
    /// <c>[key, object]</c>; lets the receiver refuse an unknown message type with a clear reason.
    /// </summary>
    public static int? PeekTypeKey(in ReadOnlySequence<byte> body)
    {
        try
        {
            var reader = new MessagePackReader(body);
            if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() != 2) return null;
            if (reader.NextMessagePackType != MessagePackType.Integer) return null;
            return reader.ReadInt32();
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="typeKey"/> is a message type this build knows.</summary>
    public static bool IsKnownType(int typeKey) => DcOsMessage.KnownTypeKeys.Contains(typeKey);

    /// <summary>The name of the message type with <paramref name="typeKey"/>, or "unknown".</summary>
    public static string TypeName(int typeKey) => DcOsMessage.TypeNames.GetValueOrDefault(typeKey, "unknown");

}
