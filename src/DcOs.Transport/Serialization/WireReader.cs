using System.Buffers;
using MessagePack;

namespace DcOs.Transport.Serialization;

/// <summary>
/// Helpers for the hand-written formatters of Core types. Objects are arrays of fields; a reader takes the fields it
/// knows and skips any extra ones (so a newer peer may append fields), and treats missing trailing fields as defaults.
/// </summary>
internal static class WireReader
{
    /// <summary>Reads an object's array header and steps the depth guard of untrusted data.</summary>
    public static int BeginObject(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref reader);
        return reader.ReadArrayHeader();
    }

    /// <summary>Skips fields beyond the <paramref name="known"/> ones and undoes the depth step.</summary>
    public static void EndObject(ref MessagePackReader reader, int count, int known)
    {
        for (var i = known; i < count; i++) reader.Skip();
        reader.Depth--;
    }

    public static string? ReadStringOrNil(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadString();

    public static byte[] ReadBytes(ref MessagePackReader reader)
    {
        var bytes = reader.ReadBytes();
        return bytes is null ? [] : bytes.Value.ToArray();
    }

    public static List<string> ReadStrings(ref MessagePackReader reader, string field)
    {
        if (reader.TryReadNil()) return [];
        var n = reader.ReadArrayHeader();
        var list = new List<string>(n);
        for (var i = 0; i < n; i++) list.Add(reader.ReadString() ?? throw new MessagePackSerializationException($"{field}[{i}] is nil"));
        return list;
    }

    public static Dictionary<string, string> ReadStringMap(ref MessagePackReader reader, string field)
    {
        if (reader.TryReadNil()) return [];
        var n = reader.ReadMapHeader();
        var map = new Dictionary<string, string>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var key = reader.ReadString() ?? throw new MessagePackSerializationException($"{field} has a nil key");
            var value = reader.ReadString() ?? throw new MessagePackSerializationException($"{field}.{key} is nil");
            if (!map.TryAdd(key, value)) throw new MessagePackSerializationException($"{field}.{key} is repeated");
        }
        return map;
    }

    public static void WriteStrings(ref MessagePackWriter writer, IReadOnlyList<string>? list)
    {
        if (list is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(list.Count);
        foreach (var s in list) writer.Write(s);
    }

    public static void WriteStringMap(ref MessagePackWriter writer, IReadOnlyDictionary<string, string>? map)
    {
        if (map is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteMapHeader(map.Count);
        foreach (var (k, v) in map)
        {
            writer.Write(k);
            writer.Write(v);
        }
    }

    public static void WriteTimeSpanMs(ref MessagePackWriter writer, TimeSpan value) => writer.Write((long)value.TotalMilliseconds);

    public static TimeSpan ReadTimeSpanMs(ref MessagePackReader reader) => TimeSpan.FromMilliseconds(reader.ReadInt64());
}
