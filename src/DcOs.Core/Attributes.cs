using System.Collections;
using System.Collections.Immutable;

namespace DcOs.Core;

/// <summary>An agent's attributes: an immutable map from a name ("zone", "rack", "jdk") to a text or scalar value.</summary>
public sealed class Attributes : IEquatable<Attributes>, IReadOnlyCollection<KeyValuePair<string, AttributeValue>>
{
    /// <summary>No attributes.</summary>
    public static readonly Attributes Empty = new(ImmutableSortedDictionary<string, AttributeValue>.Empty.WithComparers(StringComparer.Ordinal));

    private readonly ImmutableSortedDictionary<string, AttributeValue> _values;

    private Attributes(ImmutableSortedDictionary<string, AttributeValue> values) => _values = values;

    /// <summary>How many attributes there are.</summary>
    public int Count => _values.Count;

    /// <summary>Creates the map; names are validated and must be distinct.</summary>
    /// <exception cref="ValidationException">A name is invalid or repeated.</exception>
    public static Attributes Create(IEnumerable<KeyValuePair<string, AttributeValue>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var builder = ImmutableSortedDictionary.CreateBuilder<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            ResourceNames.ValidateName(name, "attributes");
            if (value.Text is null) Guard.Fail("attributes." + name, "has no value");
            if (!builder.TryAdd(name, value)) Guard.Fail("attributes." + name, "is listed twice");
        }
        return new Attributes(builder.ToImmutable());
    }

    /// <summary>Creates the map from text values, each parsed with <see cref="AttributeValue.Parse"/>.</summary>
    public static Attributes FromText(IEnumerable<KeyValuePair<string, string>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Create(values.Select(kv => KeyValuePair.Create(kv.Key, AttributeValue.Parse(kv.Value, "attributes." + kv.Key))));
    }

    /// <summary>Parses Mesos' text form, "zone:us-east-1a;rack:r1;cores:8".</summary>
    public static Attributes Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) Guard.Fail("attributes", $"\"{part}\" is not of the form name:value");
            pairs.Add(KeyValuePair.Create(part[..colon].Trim(), part[(colon + 1)..].Trim()));
        }
        return FromText(pairs);
    }

    /// <summary>Looks up <paramref name="name"/>.</summary>
    public bool TryGet(string name, out AttributeValue value) => _values.TryGetValue(name, out value);

    /// <summary>The text of <paramref name="name"/>, or null when absent.</summary>
    public string? GetText(string name) => _values.TryGetValue(name, out var v) ? v.Text : null;

    /// <summary>A copy with <paramref name="name"/> set to <paramref name="value"/>.</summary>
    public Attributes With(string name, AttributeValue value)
    {
        ResourceNames.ValidateName(name, "attributes");
        return new Attributes(_values.SetItem(name, value));
    }

    /// <inheritdoc />
    public bool Equals(Attributes? other) =>
        other is not null && _values.Count == other._values.Count &&
        _values.All(kv => other._values.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Attributes);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var kv in _values)
        {
            hash.Add(kv.Key);
            hash.Add(kv.Value);
        }
        return hash.ToHashCode();
    }

    /// <summary>Mesos' text form, "rack:r1;zone:a".</summary>
    public override string ToString() => string.Join(";", _values.Select(kv => $"{kv.Key}:{kv.Value.Text}"));

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, AttributeValue>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
