using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DcOs.Core;
using Microsoft.AspNetCore.Http;

namespace DcOs.Frameworks.AspNetCore.Internal;

/// <summary>
/// The door for app and job definitions. Before a definition exists it says, for the first thing wrong, which field and
/// why: JSON syntax with line and position; a value of the wrong shape by its path (<c>cpus: must be a number (got
/// "lots")</c>); a field the definition does not have (an ignored typo or an unsupported Marathon field would be
/// accepted now and wrong later). The definition's own rules (<c>Validate</c>) then run in its framework. The shape is
/// checked against the serializer's own contract (<see cref="JsonTypeInfo"/>), so the check cannot drift from what
/// deserialization reads. The CLI sends files as they are and prints this answer: one validation, at the door.
/// </summary>
internal static class DefinitionReader
{
    /// <summary>Definitions are small; a larger body is refused before it is parsed (a 17 MB cmd cannot be launched anyway).</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Marathon fields that DcOs apps do not have: refused with a message saying so, not silently dropped.</summary>
    private static readonly HashSet<string> MarathonOnlyFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "container", "labels", "portDefinitions", "fetch", "uris", "dependencies", "acceptedResourceRoles", "networks",
        "requirePorts", "executor", "taskKillGracePeriodSeconds", "role", "residency", "secrets", "readinessChecks",
        "version", "versionInfo", "storeUrls",
    };

    /// <summary>Reads <typeparamref name="T"/> from a request body of at most <see cref="MaxBytes"/>.</summary>
    /// <exception cref="BadHttpRequestException">The body is empty, too large, not JSON or not an object (400 or 413).</exception>
    /// <exception cref="ValidationException">A field has the wrong shape or is not a field of <typeparamref name="T"/>.</exception>
    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonSerializerOptions options)
        where T : class
    {
        if (request.ContentLength > MaxBytes) throw TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes) throw TooLarge();
            buffer.Write(chunk, 0, read);
        }
        return Read<T>(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), options);
    }

    /// <inheritdoc cref="ReadAsync{T}(HttpRequest, JsonSerializerOptions)"/>
    public static T Read<T>(ReadOnlyMemory<byte> json, JsonSerializerOptions options)
        where T : class
    {
        if (json.Span.Trim(" \t\r\n"u8).IsEmpty) throw new BadHttpRequestException("the body is empty; send a JSON object");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException($"invalid JSON at line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}: {Reason(e)}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new BadHttpRequestException($"the body must be a JSON object (got {Kind(root)})");
            CheckShape(root, options.GetTypeInfo(typeof(T)), "", options);
            try
            {
                return root.Deserialize<T>(options) ?? throw new BadHttpRequestException("the body is null; send a JSON object");
            }
            catch (JsonException e)
            {
                // What the walk leaves to the serializer (an enum, a custom converter's own type check).
                throw new ValidationException(e.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body", Reason(e));
            }
        }
    }

    private static void CheckShape(JsonElement value, JsonTypeInfo contract, string path, JsonSerializerOptions options)
    {
        // null is "not given": reference types stay null and value types keep their defaults' error from the serializer.
        if (value.ValueKind == JsonValueKind.Null) return;
        switch (contract.Kind)
        {
            case JsonTypeInfoKind.Object:
                if (value.ValueKind != JsonValueKind.Object) throw new ValidationException(path, $"must be an object (got {Kind(value)})");
                var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                foreach (var property in value.EnumerateObject())
                {
                    var at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    var field = contract.Properties.FirstOrDefault(p => p.Set is not null && string.Equals(p.Name, property.Name, comparison))
                        ?? throw Unknown(at, property.Name, contract, path.Length == 0);
                    if (field.CustomConverter is not null) continue;
                    CheckShape(property.Value, options.GetTypeInfo(field.PropertyType), at, options);
                }
                return;
            case JsonTypeInfoKind.Enumerable:
                if (value.ValueKind != JsonValueKind.Array) throw new ValidationException(path, $"must be an array (got {Kind(value)})");
                var elementContract = options.GetTypeInfo(contract.ElementType!);
                var i = 0;
                foreach (var item in value.EnumerateArray()) CheckShape(item, elementContract, $"{path}[{i++}]", options);
                return;
            case JsonTypeInfoKind.Dictionary:
                if (value.ValueKind != JsonValueKind.Object) throw new ValidationException(path, $"must be an object of names to values (got {Kind(value)})");
                var valueContract = options.GetTypeInfo(contract.ElementType!);
                foreach (var entry in value.EnumerateObject()) CheckShape(entry.Value, valueContract, $"{path}.{entry.Name}", options);
                return;
            default:
                CheckScalar(value, Nullable.GetUnderlyingType(contract.Type) ?? contract.Type, path, options);
                return;
        }
    }

    private static void CheckScalar(JsonElement value, Type type, string path, JsonSerializerOptions options)
    {
        var fromString = options.NumberHandling.HasFlag(System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString);
        if (type == typeof(string))
        {
            if (value.ValueKind != JsonValueKind.String) throw new ValidationException(path, $"must be a string (got {Kind(value)}); quote it");
        }
        else if (type == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new ValidationException(path, $"must be true or false (got {Show(value)})");
        }
        else if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            var number = Number(value, fromString) ?? throw new ValidationException(path, $"must be a number (got {Show(value)})");
            if (!double.IsFinite(number)) throw new ValidationException(path, $"must be a finite number (got {Show(value)})");
        }
        else if (type == typeof(int) || type == typeof(long))
        {
            var number = Number(value, fromString);
            var max = type == typeof(int) ? int.MaxValue : long.MaxValue;
            var min = type == typeof(int) ? int.MinValue : long.MinValue;
            if (number is not { } n || n != Math.Floor(n) || n > max || n < min) throw new ValidationException(path, $"must be a whole number (got {Show(value)})");
        }
    }

    private static double? Number(JsonElement value, bool fromString) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String when fromString && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    private static ValidationException Unknown(string at, string name, JsonTypeInfo contract, bool topLevel)
    {
        if (topLevel && MarathonOnlyFields.Contains(name)) return new ValidationException(at, "is a Marathon field DcOs does not support; remove it");
        var known = contract.Properties.Where(p => p.Set is not null).Select(p => p.Name).ToList();
        var nearest = known.Select(k => (Name: k, Distance: EditDistance(k.ToLowerInvariant(), name.ToLowerInvariant()))).MinBy(k => k.Distance);
        var hint = nearest.Name is not null && nearest.Distance <= 2 ? $"; did you mean \"{nearest.Name}\"?" : $"; the fields are {string.Join(", ", known)}";
        return new ValidationException(at, "is not a field" + hint);
    }

    /// <summary>Levenshtein distance, for "did you mean": field names are short.</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }

    private static BadHttpRequestException TooLarge() =>
        new($"the body is larger than {MaxBytes / 1024} KiB; a definition is a few KiB", StatusCodes.Status413PayloadTooLarge);

    /// <summary>System.Text.Json's message without its own "Path: ... LineNumber: ..." suffix.</summary>
    private static string Reason(JsonException e)
    {
        var reason = e.Message;
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = reason.IndexOf(marker, StringComparison.Ordinal);
            if (cut >= 0) reason = reason[..cut];
        }
        return reason.ReplaceLineEndings(" ").Trim().TrimEnd('.', ' ');
    }

    private static string Show(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length > 40 ? text[..37] + "..." : text;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
