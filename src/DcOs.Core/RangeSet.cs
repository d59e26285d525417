using System.Collections.Immutable;
using System.Globalization;

namespace DcOs.Core;

/// <summary>
/// An immutable set of unsigned integers stored as sorted, disjoint, non-adjacent <see cref="ValueRange"/>s
/// (adjacent ranges are merged: 1-3 and 4-5 become 1-5). Used for ports.
/// </summary>
public sealed class RangeSet : IEquatable<RangeSet>
{
    /// <summary>The empty set.</summary>
    public static readonly RangeSet Empty = new([]);

    private readonly ValueRange[] _ranges;

    private RangeSet(ValueRange[] normalized) => _ranges = normalized;

    /// <summary>The ranges, sorted, disjoint and non-adjacent.</summary>
    public ImmutableArray<ValueRange> Ranges => ImmutableArray.Create(_ranges);

    /// <summary>Whether the set holds no value.</summary>
    public bool IsEmpty => _ranges.Length == 0;

    /// <summary>How many values the set holds.</summary>
    public ulong Count
    {
        get
        {
            ulong n = 0;
            foreach (var r in _ranges) n += r.Count;
            return n;
        }
    }

    /// <summary>
    /// Creates a set from explicitly given ranges. Overlapping ranges are refused (a port listed twice is a mistake),
    /// adjacent ones are merged.
    /// </summary>
    /// <exception cref="ValidationException">Two ranges overlap.</exception>
    public static RangeSet Create(IEnumerable<ValueRange> ranges, string field = "ranges")
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var sorted = ranges.OrderBy(r => r.Begin).ThenBy(r => r.End).ToArray();
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Overlaps(sorted[i - 1])) Guard.Fail(field, $"ranges {sorted[i - 1]} and {sorted[i]} overlap");
        }
        return new RangeSet(MergeSorted(sorted));
    }

    /// <summary>Creates a set of one range.</summary>
    public static RangeSet Of(ulong begin, ulong end) => new([new ValueRange(begin, end)]);

    /// <summary>Whether <paramref name="value"/> is in the set.</summary>
    public bool Contains(ulong value)
    {
        int lo = 0, hi = _ranges.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var r = _ranges[mid];
            if (value < r.Begin) hi = mid - 1;
            else if (value > r.End) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /// <summary>Whether every value of <paramref name="other"/> is in this set.</summary>
    public bool Contains(RangeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var i = 0;
        foreach (var r in other._ranges)
        {
            while (i < _ranges.Length && _ranges[i].End < r.Begin) i++;
            if (i == _ranges.Length || _ranges[i].Begin > r.Begin || _ranges[i].End < r.End) return false;
        }
        return true;
    }

    /// <summary>Whether the two sets share a value.</summary>
    public bool Overlaps(RangeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int i = 0, j = 0;
        while (i < _ranges.Length && j < other._ranges.Length)
        {
            if (_ranges[i].Overlaps(other._ranges[j])) return true;
            if (_ranges[i].End < other._ranges[j].End) i++;
            else j++;
        }
        return false;
    }

    /// <summary>The union of the two sets.</summary>
    public RangeSet Union(RangeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.IsEmpty) return this;
        if (IsEmpty) return other;
        var all = new ValueRange[_ranges.Length + other._ranges.Length];
        _ranges.CopyTo(all, 0);
        other._ranges.CopyTo(all, _ranges.Length);
        Array.Sort(all, static (a, b) => a.Begin.CompareTo(b.Begin));
        return new RangeSet(MergeSorted(all));
    }

    /// <summary>The values of this set that are not in <paramref name="other"/> (splitting ranges where needed).</summary>
    public RangeSet Except(RangeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.IsEmpty || IsEmpty) return this;
        var result = new List<ValueRange>(_ranges.Length + 1);
        var j = 0;
        foreach (var r in _ranges)
        {
            var begin = r.Begin;
            var end = r.End;
            var alive = true;
            while (j < other._ranges.Length && other._ranges[j].End < begin) j++;
            var k = j;
            while (alive && k < other._ranges.Length && other._ranges[k].Begin <= end)
            {
                var cut = other._ranges[k];
                if (cut.Begin > begin) result.Add(new ValueRange(begin, cut.Begin - 1));
                if (cut.End >= end) alive = false;
                else begin = cut.End + 1;
                k++;
            }
            if (alive) result.Add(new ValueRange(begin, end));
        }
        return new RangeSet([.. result]);
    }

    /// <summary>The first <paramref name="count"/> values of the set, or null if it holds fewer.</summary>
    public RangeSet? Take(ulong count)
    {
        var taken = new List<ValueRange>();
        foreach (var r in _ranges)
        {
            if (count == 0) break;
            var n = Math.Min(count, r.Count);
            taken.Add(new ValueRange(r.Begin, r.Begin + n - 1));
            count -= n;
        }
        return count == 0 ? new RangeSet([.. taken]) : null;
    }

    /// <summary>Every value in ascending order.</summary>
    public IEnumerable<ulong> Values()
    {
        foreach (var r in _ranges)
        {
            for (var v = r.Begin; ; v++)
            {
                yield return v;
                if (v == r.End) break;
            }
        }
    }

    /// <summary>
    /// Parses Mesos' text form: "[31000-32000, 33000-33010]" (brackets optional; single values allowed).
    /// </summary>
    /// <exception cref="ValidationException">The text is malformed or ranges overlap.</exception>
    public static RangeSet Parse(string text, string field = "ranges")
    {
        ArgumentNullException.ThrowIfNull(text);
        var body = text.Trim();
        if (body.StartsWith('[') != body.EndsWith(']')) Guard.Fail(field, $"unbalanced brackets in \"{text}\"");
        if (body.StartsWith('[')) body = body[1..^1];
        var ranges = new List<ValueRange>();
        foreach (var part in body.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var beginText = dash < 0 ? part : part[..dash];
            var endText = dash < 0 ? part : part[(dash + 1)..];
            var parsedBegin = ulong.TryParse(beginText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var begin);
            var parsedEnd = ulong.TryParse(endText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var end);
            if (!parsedBegin || !parsedEnd) Guard.Fail(field, $"\"{part}\" is not a range like 31000-32000");
            ranges.Add(new ValueRange(begin, end, field));
        }
        return Create(ranges, field);
    }

    /// <inheritdoc />
    public bool Equals(RangeSet? other) => other is not null && _ranges.AsSpan().SequenceEqual(other._ranges);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as RangeSet);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var r in _ranges) hash.Add(r);
        return hash.ToHashCode();
    }

    /// <summary>Mesos' text form, "[31000-32000, 33000-33010]".</summary>
    public override string ToString() => "[" + string.Join(", ", _ranges) + "]";

    private static ValueRange[] MergeSorted(ValueRange[] sorted)
    {
        if (sorted.Length <= 1) return sorted;
        var merged = new List<ValueRange>(sorted.Length) { sorted[0] };
        for (var i = 1; i < sorted.Length; i++)
        {
            var last = merged[^1];
            var next = sorted[i];
            // Merge overlapping or adjacent ranges; guard End + 1 against overflow at ulong.MaxValue.
            if (last.End == ulong.MaxValue || next.Begin <= last.End + 1)
            {
                merged[^1] = new ValueRange(last.Begin, Math.Max(last.End, next.End));
            }
            else
            {
                merged.Add(next);
            }
        }
        return [.. merged];
    }
}
