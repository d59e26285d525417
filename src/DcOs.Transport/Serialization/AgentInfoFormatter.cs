using DcOs.Core;
using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary><see cref="AgentInfo"/> as <c>[id, hostname, resources, attributes, region, zone, cost, gpus]</c>; the GPU list came later (an older peer sends seven fields: no devices).</summary>
internal sealed class AgentInfoFormatter : IMessagePackFormatter<AgentInfo?>
{
    public static readonly AgentInfoFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, AgentInfo? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(8);
        writer.Write(value.Id.Value);
        writer.Write(value.Hostname);
        ResourcesFormatter.Instance.Serialize(ref writer, value.Resources, options);
        AttributesFormatter.Instance.Serialize(ref writer, value.Attributes, options);
        writer.Write(value.Region);
        writer.Write(value.Zone);
        CostModelFormatter.Instance.Serialize(ref writer, value.Cost, options);
        GpuFormatter.WriteDevices(ref writer, value.Gpus);
    }

    public AgentInfo? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var count = WireReader.BeginObject(ref reader, options);
        if (count < 7) throw new MessagePackSerializationException("agent needs 7 fields");
        var info = new AgentInfo
        {
            Id = WireReader.ReadStringOrNil(ref reader) is { } id ? new AgentId(id) : default,
            Hostname = reader.ReadString() ?? "",
            Resources = ResourcesFormatter.Instance.Deserialize(ref reader, options) ?? Resources.Empty,
            Attributes = AttributesFormatter.Instance.Deserialize(ref reader, options) ?? Attributes.Empty,
            Region = WireReader.ReadStringOrNil(ref reader),
            Zone = WireReader.ReadStringOrNil(ref reader),
            Cost = CostModelFormatter.Instance.Deserialize(ref reader, options) ?? CostModel.Free,
        };
        if (count >= 8) info = info with { Gpus = GpuFormatter.ReadDevices(ref reader, options, "agent.gpus") };
        WireReader.EndObject(ref reader, count, Math.Min(count, 8));
        return info;
    }
}

/// <summary>
/// <see cref="CostModel"/> as <c>[machinePerHour, perUnitPerHour map, speedFactor, preemptible, gpuSpeedFactor or nil]</c>;
/// validated on read. The fifth field came later: a reader takes four (it is then null), and one that knows four skips it.
/// </summary>
internal sealed class CostModelFormatter : IMessagePackFormatter<CostModel?>
{
    public static readonly CostModelFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, CostModel? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(5);
        writer.Write(value.MachinePerHour);
        writer.WriteMapHeader(value.PerUnitPerHour.Count);
        foreach (var (name, price) in value.PerUnitPerHour)
        {
            writer.Write(name);
            writer.Write(price);
        }
        writer.Write(value.SpeedFactor);
        writer.Write(value.Preemptible);
        if (value.GpuSpeedFactor is { } gpu) writer.Write(gpu);
        else writer.WriteNil();
    }

    public CostModel? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var count = WireReader.BeginObject(ref reader, options);
        if (count < 4) throw new MessagePackSerializationException("cost needs 4 fields");
        var machine = reader.ReadDouble();
        var n = reader.ReadMapHeader();
        var prices = new Dictionary<string, double>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var name = reader.ReadString() ?? throw new MessagePackSerializationException("cost price name is nil");
            if (!prices.TryAdd(name, reader.ReadDouble())) throw new MessagePackSerializationException($"cost.perUnitPerHour.{name} is repeated");
        }
        var cost = new CostModel { MachinePerHour = machine, PerUnitPerHour = prices, SpeedFactor = reader.ReadDouble(), Preemptible = reader.ReadBoolean() };
        if (count >= 5 && !reader.TryReadNil()) cost = cost with { GpuSpeedFactor = reader.ReadDouble() };
        WireReader.EndObject(ref reader, count, Math.Min(count, 5));
        return cost;
    }
}
