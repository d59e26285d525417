using System.Collections.Immutable;

namespace DcOs.Core;

/// <summary>An immutable set of text items (a Mesos SET resource, e.g. GPU ids or named devices), ordinal order.</summary>
public sealed class ValueSet : IEquatable<ValueSet>
{
    /// <summary>The empty set.</summary>
    public static readonly ValueSet Empty = new(ImmutableSortedSet<string>.Empty.WithComparer(StringComparer.Ordinal));

    private readonly ImmutableSortedSet<string> _items;

    private ValueSet(ImmutableSortedSet<string> items) => _items = items;

    /// <summary>The items, in ordinal order.</summary>
    public IReadOnlyCollection<string> Items => _items;

    /// <summary>Whether the set holds nothing.</summary>
    public bool IsEmpty => _items.IsEmpty;

    /// <summary>How many items the set holds.</summary>
    public int Count => _items.Count;

    /// <summary>Creates a set; items must be non-empty and distinct.</summary>
    /// <exception cref="ValidationException">An item is empty or repeated.</exception>
    public static ValueSet Create(IEnumerable<string> items, string field = "set")
    {
        ArgumentNullException.ThrowIfNull(items);
        var builder = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            Guard.NotEmpty(item, field);
            if (!builder.Add(item!.Trim())) Guard.Fail(field, $"item \"{item}\" is listed twice");
        }
        return new ValueSet(builder.ToImmutable());
    }

    /// <summary>Whether <paramref name="item"/> is in the set.</summary>
    public bool Contains(string item) => _items.Contains(item);

    /// <summary>Whether every item of <paramref name="other"/> is in this set.</summary>
    public bool Contains(ValueSet other) => other._items.IsSubsetOf(_items);

    /// <summary>Whether the sets share an item.</summary>
    public bool Overlaps(ValueSet other) => _items.Overlaps(other._items);

    /// <summary>Union.</summary>
    public ValueSet Union(ValueSet other) => new(_items.Union(other._items));

    /// <summary>The items not in <paramref name="other"/>.</summary>
    public ValueSet Except(ValueSet other) => new(_items.Except(other._items));

    /// <inheritdoc />
    public bool Equals(ValueSet? other) => other is not null && _items.SetEquals(other._items);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ValueSet);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items) hash.Add(item, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    /// <summary>Mesos' text form, "{a,b}".</summary>
    public override string ToString() => "{" + string.Join(",", _items) + "}";
}
