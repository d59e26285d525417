using System.Text.Json;
using System.Text.Json.Serialization;
using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.SampleMaster.Services;

/// <summary>An app's <c>costObjective</c> in its text form ("cheapest"), refused with the field named when it is not one.</summary>
internal sealed class CostObjectiveJsonConverter : JsonConverter<ObjectiveKind>
{
    public override ObjectiveKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? ObjectiveKinds.Parse(reader.GetString(), "costObjective")
            : throw new ValidationException("costObjective", $"must be a string such as \"cheapest\" (got a {reader.TokenType})");

    public override void Write(Utf8JsonWriter writer, ObjectiveKind value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name());
}
