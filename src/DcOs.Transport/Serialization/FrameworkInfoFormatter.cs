using DcOs.Core;
using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary><see cref="FrameworkInfo"/> as <c>[id, name, principal, roles, failoverMs, capabilities, hostname]</c>.</summary>
internal sealed class FrameworkInfoFormatter : IMessagePackFormatter<FrameworkInfo?>
{
    public static readonly FrameworkInfoFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, FrameworkInfo? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(7);
        writer.Write(value.Id.Value);
        writer.Write(value.Name);
        writer.Write(value.Principal);
        WireReader.WriteStrings(ref writer, value.Roles);
        WireReader.WriteTimeSpanMs(ref writer, value.FailoverTimeout);
        writer.Write((int)value.Capabilities);
        writer.Write(value.Hostname);
    }

    public FrameworkInfo? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var count = WireReader.BeginObject(ref reader, options);
        if (count < 7) throw new MessagePackSerializationException("framework needs 7 fields");
        var info = new FrameworkInfo
        {
            Id = WireReader.ReadStringOrNil(ref reader) is { } id ? new FrameworkId(id) : default,
            Name = reader.ReadString() ?? "",
            Principal = WireReader.ReadStringOrNil(ref reader),
            Roles = WireReader.ReadStrings(ref reader, "framework.roles"),
            FailoverTimeout = WireReader.ReadTimeSpanMs(ref reader),
            Capabilities = (FrameworkCapabilities)reader.ReadInt32(),
            Hostname = WireReader.ReadStringOrNil(ref reader),
        };
        WireReader.EndObject(ref reader, count, 7);
        return info;
    }
}
