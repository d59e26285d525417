using DcOs.Core;
using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary>
/// <see cref="Resources"/> as an array of entries <c>[name, kind, role, reservation, value]</c>: a scalar value is
/// its thousandths (int64), ranges a flat array <c>[b0, e0, b1, e1, ...]</c>, a set an array of strings. Reading
/// rebuilds through the validating factories, so negative amounts or overlapping ranges from the wire are refused.
/// </summary>
internal sealed class ResourcesFormatter : IMessagePackFormatter<Resources?>
{
    public static readonly ResourcesFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Resources? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(value.Count);
        foreach (var r in value)
        {
            writer.WriteArrayHeader(5);
            writer.Write(r.Name);
            writer.Write((byte)r.Kind);
            writer.Write(r.Role == ResourceNames.AnyRole ? null : r.Role);
            writer.Write(r.Reservation);
            switch (r.Kind)
            {
                case ResourceKind.Scalar:
                    writer.Write(r.Scalar.Milli);
                    break;
                case ResourceKind.Ranges:
                    var ranges = r.Ranges.Ranges;
                    writer.WriteArrayHeader(ranges.Length * 2);
                    foreach (var range in ranges)
                    {
                        writer.Write(range.Begin);
                        writer.Write(range.End);
                    }
                    break;
                default:
                    WireReader.WriteStrings(ref writer, [.. r.Set.Items]);
                    break;
            }
        }
    }

    public Resources? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        options.Security.DepthStep(ref reader);
        var count = reader.ReadArrayHeader();
        var list = new List<Resource>(count);
        for (var i = 0; i < count; i++)
        {
            var fields = WireReader.BeginObject(ref reader, options);
            if (fields < 5) throw new MessagePackSerializationException("resource entry needs 5 fields");
            var name = reader.ReadString() ?? throw new MessagePackSerializationException("resource name is nil");
            var kind = (ResourceKind)reader.ReadByte();
            var role = WireReader.ReadStringOrNil(ref reader) ?? ResourceNames.AnyRole;
            var reservation = WireReader.ReadStringOrNil(ref reader);
            var field = "resources." + name;
            switch (kind)
            {
                case ResourceKind.Scalar:
                    list.Add(Resource.OfScalar(name, Scalar.FromMilli(reader.ReadInt64(), field), role, reservation));
                    break;
                case ResourceKind.Ranges:
                    var n = reader.ReadArrayHeader();
                    if (n % 2 != 0) throw new MessagePackSerializationException($"{field}: ranges need pairs of begin and end");
                    var ranges = new List<ValueRange>(n / 2);
                    for (var j = 0; j < n; j += 2) ranges.Add(new ValueRange(reader.ReadUInt64(), reader.ReadUInt64(), field));
                    list.Add(Resource.OfRanges(name, RangeSet.Create(ranges, field), role, reservation));
                    break;
                case ResourceKind.Set:
                    list.Add(Resource.OfSet(name, ValueSet.Create(WireReader.ReadStrings(ref reader, field), field), role, reservation));
                    break;
                default:
                    throw new MessagePackSerializationException($"{field}: unknown resource kind {(int)kind}");
            }
            WireReader.EndObject(ref reader, fields, 5);
        }
        reader.Depth--;
        return Resources.Of(list);
    }
}
