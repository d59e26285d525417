using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace DcOs.Frameworks;

/// <summary>How app and job definitions are read and written as JSON (web defaults: camelCase, case-insensitive names).</summary>
public static class FrameworkJson
{
    /// <summary>
    /// The options the store and the HTTP API use. The resolver is explicit so that a door can read the contract
    /// (<see cref="JsonTypeInfo"/>) before anything is deserialized.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = false, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
}
