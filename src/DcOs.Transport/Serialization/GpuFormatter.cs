using DcOs.Core;
using MessagePack;

namespace DcOs.Transport.Serialization;

/// <summary>
/// GPU devices on the wire: a device as <c>[index, model, memoryMb]</c>, a device with its free share as
/// <c>[index, model, memoryMb, free]</c>, lists as arrays (the length read is bounded by the frame, as every array is).
/// </summary>
internal static class GpuFormatter
{
    public static void WriteDevices(ref MessagePackWriter writer, IReadOnlyList<GpuDevice> devices)
    {
        writer.WriteArrayHeader(devices.Count);
        foreach (var d in devices)
        {
            writer.WriteArrayHeader(3);
            WriteDevice(ref writer, d);
        }
    }

    /// <summary>The devices; an empty list is the shared empty one, so an agent without GPUs equals its copy read from the wire.</summary>
    public static IReadOnlyList<GpuDevice> ReadDevices(ref MessagePackReader reader, MessagePackSerializerOptions options, string field)
    {
        if (reader.TryReadNil()) return [];
        var n = reader.ReadArrayHeader();
        if (n == 0) return [];
        var list = new List<GpuDevice>(Math.Min(n, 1024));
        for (var i = 0; i < n; i++)
        {
            var count = WireReader.BeginObject(ref reader, options);
            if (count < 3) throw new MessagePackSerializationException($"{field}[{i}] needs [index, model, memoryMb]");
            list.Add(ReadDevice(ref reader));
            WireReader.EndObject(ref reader, count, 3);
        }
        return list;
    }

    public static void WriteAvailability(ref MessagePackWriter writer, IReadOnlyList<GpuAvailability> devices)
    {
        writer.WriteArrayHeader(devices.Count);
        foreach (var d in devices)
        {
            writer.WriteArrayHeader(4);
            WriteDevice(ref writer, d.Device);
            writer.Write(d.Free);
        }
    }

    public static IReadOnlyList<GpuAvailability> ReadAvailability(ref MessagePackReader reader, MessagePackSerializerOptions options, string field)
    {
        if (reader.TryReadNil()) return [];
        var n = reader.ReadArrayHeader();
        if (n == 0) return [];
        var list = new List<GpuAvailability>(Math.Min(n, 1024));
        for (var i = 0; i < n; i++)
        {
            var count = WireReader.BeginObject(ref reader, options);
            if (count < 4) throw new MessagePackSerializationException($"{field}[{i}] needs [index, model, memoryMb, free]");
            var device = ReadDevice(ref reader);
            list.Add(new GpuAvailability(device, reader.ReadDouble()));
            WireReader.EndObject(ref reader, count, 4);
        }
        return list;
    }

    public static void WriteIndexes(ref MessagePackWriter writer, IReadOnlyList<int>? indexes)
    {
        if (indexes is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(indexes.Count);
        foreach (var i in indexes) writer.Write(i);
    }

    public static List<int>? ReadIndexes(ref MessagePackReader reader)
    {
        if (reader.TryReadNil()) return null;
        var n = reader.ReadArrayHeader();
        var list = new List<int>(Math.Min(n, 1024));
        for (var i = 0; i < n; i++) list.Add(reader.ReadInt32());
        return list;
    }

    private static void WriteDevice(ref MessagePackWriter writer, GpuDevice device)
    {
        writer.Write(device.Index);
        writer.Write(device.Model);
        writer.Write(device.MemoryMb);
    }

    private static GpuDevice ReadDevice(ref MessagePackReader reader) =>
        new() { Index = reader.ReadInt32(), Model = reader.ReadString() ?? "", MemoryMb = reader.ReadDouble() };
}
