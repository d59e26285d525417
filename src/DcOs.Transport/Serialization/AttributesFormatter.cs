using DcOs.Core;
using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary><see cref="Attributes"/> as a map from name to a string (text) or a double (scalar).</summary>
internal sealed class AttributesFormatter : IMessagePackFormatter<Attributes?>
{
    public static readonly AttributesFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Attributes? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteMapHeader(value.Count);
        foreach (var (name, v) in value)
        {
            writer.Write(name);
            if (v.Scalar is { } d) writer.Write(d);
            else writer.Write(v.Text);
        }
    }

    public Attributes? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var n = reader.ReadMapHeader();
        var list = new List<KeyValuePair<string, AttributeValue>>(n);
        for (var i = 0; i < n; i++)
        {
            var name = reader.ReadString() ?? throw new MessagePackSerializationException("attribute name is nil");
            var value = reader.NextMessagePackType == MessagePackType.String
                ? AttributeValue.OfText(reader.ReadString()!, "attributes." + name)
                : AttributeValue.OfScalar(reader.ReadDouble(), "attributes." + name);
            list.Add(KeyValuePair.Create(name, value));
        }
        return Attributes.Create(list);
    }
}
