using DcOs.Core;
using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary><see cref="Offer"/> as <c>[id, frameworkId, agentId, hostname, resources, attributes, region, zone, cost, agentTotal, gpus]</c>; the GPU list came later (ten fields: no devices).</summary>
internal sealed class OfferFormatter : IMessagePackFormatter<Offer?>
{
    public static readonly OfferFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Offer? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(11);
        writer.Write(value.Id.Value);
        writer.Write(value.FrameworkId.Value);
        writer.Write(value.AgentId.Value);
        writer.Write(value.Hostname);
        ResourcesFormatter.Instance.Serialize(ref writer, value.Resources, options);
        AttributesFormatter.Instance.Serialize(ref writer, value.Attributes, options);
        writer.Write(value.Region);
        writer.Write(value.Zone);
        CostModelFormatter.Instance.Serialize(ref writer, value.Cost, options);
        ResourcesFormatter.Instance.Serialize(ref writer, value.AgentTotal, options);
        GpuFormatter.WriteAvailability(ref writer, value.Gpus);
    }

    public Offer? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var count = WireReader.BeginObject(ref reader, options);
        if (count < 10) throw new MessagePackSerializationException("offer needs 10 fields");
        var offer = new Offer
        {
            Id = new OfferId(reader.ReadString()!),
            FrameworkId = new FrameworkId(reader.ReadString()!),
            AgentId = new AgentId(reader.ReadString()!),
            Hostname = reader.ReadString() ?? "",
            Resources = ResourcesFormatter.Instance.Deserialize(ref reader, options) ?? Resources.Empty,
            Attributes = AttributesFormatter.Instance.Deserialize(ref reader, options) ?? Attributes.Empty,
            Region = WireReader.ReadStringOrNil(ref reader),
            Zone = WireReader.ReadStringOrNil(ref reader),
            Cost = CostModelFormatter.Instance.Deserialize(ref reader, options) ?? CostModel.Free,
            AgentTotal = ResourcesFormatter.Instance.Deserialize(ref reader, options) ?? Resources.Empty,
        };
        if (count >= 11) offer = offer with { Gpus = GpuFormatter.ReadAvailability(ref reader, options, "offer.gpus") };
        WireReader.EndObject(ref reader, count, Math.Min(count, 11));
        return offer;
    }
}
