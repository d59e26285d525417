using System.Collections;
using System.Globalization;

namespace DcOs.Core;

/// <summary>
/// An immutable bag of resources: at most one <see cref="Resource"/> per (name, role, reservation), sorted by that key,
/// never an empty one. Addition refuses to double-count (overlapping ranges, repeated set items); subtraction never
/// goes negative (scalars floor at zero, ranges and sets lose what they hold of the other). Scalar arithmetic is exact.
/// </summary>
public sealed class Resources : IEquatable<Resources>, IReadOnlyList<Resource>
{
    /// <summary>No resources.</summary>
    public static readonly Resources Empty = new([]);

    private readonly Resource[] _items;

    private Resources(Resource[] sortedUniqueNonEmpty) => _items = sortedUniqueNonEmpty;

    /// <summary>How many distinct (name, role, reservation) entries there are.</summary>
    public int Count => _items.Length;

    /// <summary>The entry at <paramref name="index"/>, in key order.</summary>
    public Resource this[int index] => _items[index];

    /// <summary>Whether there is nothing at all.</summary>
    public bool IsEmpty => _items.Length == 0;

    /// <summary>Total cpus over every role.</summary>
    public double Cpus => GetScalar(ResourceNames.Cpus).Value;

    /// <summary>Total memory in MiB over every role.</summary>
    public double MemMb => GetScalar(ResourceNames.Mem).Value;

    /// <summary>Total disk in MiB over every role.</summary>
    public double DiskMb => GetScalar(ResourceNames.Disk).Value;

    /// <summary>Total GPUs over every role.</summary>
    public double Gpus => GetScalar(ResourceNames.Gpus).Value;

    /// <summary>All ports over every role.</summary>
    public RangeSet Ports => GetRanges(ResourceNames.Ports);

    /// <summary>Builds a bag from entries; entries with the same key are added together.</summary>
    /// <exception cref="ValidationException">Two entries double-count (overlapping ranges) or one name has two kinds.</exception>
    public static Resources Of(params IEnumerable<Resource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var result = Empty;
        foreach (var r in resources) result = result.Add(r);
        return result;
    }

    /// <summary>The common shape: cpus, mem and disk in MiB, gpus; zero amounts are left out.</summary>
    public static Resources FromScalars(double cpus = 0, double memMb = 0, double diskMb = 0, double gpus = 0)
    {
        var list = new List<Resource>(4);
        AddIfPositive(list, ResourceNames.Cpus, cpus);
        AddIfPositive(list, ResourceNames.Mem, memMb);
        AddIfPositive(list, ResourceNames.Disk, diskMb);
        AddIfPositive(list, ResourceNames.Gpus, gpus);
        return Of(list);

        static void AddIfPositive(List<Resource> list, string name, double value)
        {
            var scalar = Scalar.FromDouble(value, "resources." + name);
            if (!scalar.IsZero) list.Add(Resource.OfScalar(name, scalar));
        }
    }

    /// <summary>The sum of the scalar <paramref name="name"/> over every role (zero when absent).</summary>
    public Scalar GetScalar(string name)
    {
        var sum = Scalar.Zero;
        foreach (var r in _items)
        {
            if (r.Kind == ResourceKind.Scalar && r.Name == name) sum += r.Scalar;
        }
        return sum;
    }

    /// <summary>The union of the ranges <paramref name="name"/> over every role.</summary>
    public RangeSet GetRanges(string name)
    {
        var set = RangeSet.Empty;
        foreach (var r in _items)
        {
            if (r.Kind == ResourceKind.Ranges && r.Name == name) set = set.Union(r.Ranges);
        }
        return set;
    }

    /// <summary>This bag plus one resource.</summary>
    public Resources Add(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.IsEmpty) return this;
        return Add(new Resources([resource]));
    }

    /// <summary>The sum of the two bags.</summary>
    /// <exception cref="ValidationException">Ranges overlap, set items repeat, or one name has two kinds (in any role).</exception>
    public Resources Add(Resources other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.IsEmpty) return this;
        if (IsEmpty) return other;
        var result = new List<Resource>(_items.Length + other._items.Length);
        int i = 0, j = 0;
        while (i < _items.Length || j < other._items.Length)
        {
            var c = i == _items.Length ? 1 : j == other._items.Length ? -1 : Resource.CompareKey(_items[i], other._items[j]);
            if (c < 0) result.Add(_items[i++]);
            else if (c > 0) result.Add(other._items[j++]);
            else result.Add(Combine(_items[i++], other._items[j++]));
        }
        // Entries are sorted by name first, so one name under several roles sits in adjacent entries.
        for (var k = 1; k < result.Count; k++)
        {
            if (result[k].Name == result[k - 1].Name && result[k].Kind != result[k - 1].Kind)
                Guard.Fail("resources." + result[k].Name, $"is a {result[k - 1].Kind} in one place and a {result[k].Kind} in another");
        }
        return new Resources([.. result]);
    }

    /// <summary>
    /// This bag less <paramref name="other"/>, per key, never negative: scalars floor at zero, ranges and sets lose the
    /// values they share with the other. Keys absent here are ignored.
    /// </summary>
    public Resources Subtract(Resources other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.IsEmpty || IsEmpty) return this;
        var result = new List<Resource>(_items.Length);
        var j = 0;
        foreach (var mine in _items)
        {
            while (j < other._items.Length && Resource.CompareKey(other._items[j], mine) < 0) j++;
            if (j == other._items.Length || Resource.CompareKey(other._items[j], mine) != 0 || other._items[j].Kind != mine.Kind)
            {
                result.Add(mine);
                continue;
            }
            var theirs = other._items[j];
            var left = mine.Kind switch
            {
                ResourceKind.Scalar => mine.With(mine.Scalar - theirs.Scalar),
                ResourceKind.Ranges => mine.With(mine.Ranges.Except(theirs.Ranges)),
                _ => mine.With(mine.Set.Except(theirs.Set)),
            };
            if (!left.IsEmpty) result.Add(left);
        }
        return new Resources([.. result]);
    }

    /// <summary>Whether every entry of <paramref name="other"/> is held here, key by key (role-aware).</summary>
    public bool Contains(Resources other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var i = 0;
        foreach (var wanted in other._items)
        {
            while (i < _items.Length && Resource.CompareKey(_items[i], wanted) < 0) i++;
            if (i == _items.Length || Resource.CompareKey(_items[i], wanted) != 0) return false;
            var have = _items[i];
            if (have.Kind != wanted.Kind) return false;
            var enough = have.Kind switch
            {
                ResourceKind.Scalar => have.Scalar >= wanted.Scalar,
                ResourceKind.Ranges => have.Ranges.Contains(wanted.Ranges),
                _ => have.Set.Contains(wanted.Set),
            };
            if (!enough) return false;
        }
        return true;
    }

    /// <summary>Whether this bag fits in <paramref name="available"/>; the same as <c>available.Contains(this)</c>.</summary>
    public bool FitsIn(Resources available)
    {
        ArgumentNullException.ThrowIfNull(available);
        return available.Contains(this);
    }

    /// <summary>The same quantities with every reservation removed (all roles folded into "*").</summary>
    public Resources Flatten() => Of(_items.Select(r => r.Unreserved()));

    /// <summary>The entries a framework in <paramref name="role"/> may use: unreserved ones and those reserved for it.</summary>
    public Resources AllocatableTo(string role) =>
        new([.. _items.Where(r => r.Role == ResourceNames.AnyRole || r.Role == role)]);

    /// <summary>
    /// The dominant share against <paramref name="total"/>: the largest, over scalar names present in the total, of
    /// this bag's amount divided by the total amount (all roles summed). Zero when nothing is held.
    /// </summary>
    public double DominantShare(Resources total)
    {
        ArgumentNullException.ThrowIfNull(total);
        var share = 0.0;
        foreach (var name in _items.Where(r => r.Kind == ResourceKind.Scalar).Select(r => r.Name).Distinct())
        {
            var t = total.GetScalar(name);
            if (t.IsZero) continue;
            share = Math.Max(share, GetScalar(name).Milli / (double)t.Milli);
        }
        return share;
    }

    /// <summary>
    /// Parses Mesos' text form: "cpus:2;mem:1024;disk(role1):100;ports:[31000-32000];gpu_ids:{a,b}".
    /// A reservation is written "name(role,reservation)".
    /// </summary>
    /// <exception cref="ValidationException">The text is malformed; the field names the resource at fault.</exception>
    public static Resources Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<Resource>();
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) Guard.Fail("resources", $"\"{part}\" is not of the form name:value");
            var key = part[..colon].Trim();
            var value = part[(colon + 1)..].Trim();
            var name = key;
            var role = ResourceNames.AnyRole;
            string? reservation = null;
            var paren = key.IndexOf('(', StringComparison.Ordinal);
            if (paren >= 0)
            {
                if (!key.EndsWith(')')) Guard.Fail("resources", $"\"{key}\" has an unclosed role");
                name = key[..paren];
                var inner = key[(paren + 1)..^1].Split(',', StringSplitOptions.TrimEntries);
                role = inner[0];
                if (inner.Length > 1) reservation = inner[1];
            }
            var field = "resources." + name;
            if (value.StartsWith('['))
            {
                list.Add(Resource.OfRanges(name, RangeSet.Parse(value, field), role, reservation));
            }
            else if (value.StartsWith('{'))
            {
                if (!value.EndsWith('}')) Guard.Fail(field, $"set \"{value}\" is not closed with '}}'");
                var items = value[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                list.Add(Resource.OfSet(name, ValueSet.Create(items, field), role, reservation));
            }
            else
            {
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    Guard.Fail(field, $"\"{value}\" is not a number");
                list.Add(Resource.OfScalar(name, Scalar.FromDouble(number, field), role, reservation));
            }
        }
        return Of(list);
    }

    /// <summary>This bag plus <paramref name="b"/>.</summary>
    public static Resources operator +(Resources a, Resources b)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Add(b);
    }

    /// <summary>This bag less <paramref name="b"/>, never negative.</summary>
    public static Resources operator -(Resources a, Resources b)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Subtract(b);
    }

    /// <inheritdoc />
    public bool Equals(Resources? other) => other is not null && _items.AsSpan().SequenceEqual(other._items);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Resources);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var r in _items) hash.Add(r);
        return hash.ToHashCode();
    }

    /// <summary>Mesos' text form; <see cref="Parse"/> reads it back.</summary>
    public override string ToString() => string.Join(";", _items.Select(r => r.ToString()));

    /// <inheritdoc />
    public IEnumerator<Resource> GetEnumerator() => ((IEnumerable<Resource>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static Resource Combine(Resource a, Resource b)
    {
        var field = "resources." + a.Name;
        if (a.Kind != b.Kind) Guard.Fail(field, $"is a {a.Kind} in one place and a {b.Kind} in another");
        switch (a.Kind)
        {
            case ResourceKind.Scalar:
                return a.With(a.Scalar + b.Scalar);
            case ResourceKind.Ranges:
                if (a.Ranges.Overlaps(b.Ranges)) Guard.Fail(field, $"ranges {a.Ranges} and {b.Ranges} overlap; a value cannot be counted twice");
                return a.With(a.Ranges.Union(b.Ranges));
            default:
                if (a.Set.Overlaps(b.Set)) Guard.Fail(field, $"sets {a.Set} and {b.Set} share items; an item cannot be counted twice");
                return a.With(a.Set.Union(b.Set));
        }
    }
}
