using System.Text.Json;
using System.Text.Json.Serialization;
using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Frameworks.Services;

/// <summary>An app's <c>costObjective</c> in its text form ("cheapest"), refused with the field named when it is not one.</summary>
internal sealed class CostObjectiveJsonConverter : JsonConverter<ObjectiveKind>
{
    public override ObjectiveKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new ValidationException("costObjective", $"must be a string such as \"cheapest\" (got a {reader.TokenType})");
        var text = reader.GetString();
        var kind = ObjectiveKinds.All.FirstOrDefault(k => string.Equals(k.Name(), text?.Trim(), StringComparison.OrdinalIgnoreCase), (ObjectiveKind)(-1));
        // An app places its instances one offer at a time: the objectives that need a batch or a deadline do not apply.
        return kind is ObjectiveKind.Cheapest or ObjectiveKind.Fastest or ObjectiveKind.Pack
            ? kind
            : throw new ValidationException("costObjective", $"must be cheapest, fastest or pack (got \"{text}\")");
    }

    public override void Write(Utf8JsonWriter writer, ObjectiveKind value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name());
}
