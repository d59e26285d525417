using System.Globalization;

namespace DcOs.Core;

/// <summary>An inclusive range of unsigned integers, such as ports 31000-32000.</summary>
public readonly record struct ValueRange
{
    /// <summary>Creates the range <paramref name="begin"/>..<paramref name="end"/>, both included.</summary>
    /// <exception cref="ValidationException"><paramref name="begin"/> is greater than <paramref name="end"/>.</exception>
    public ValueRange(ulong begin, ulong end, string field = "range")
    {
        if (begin > end) Guard.Fail(field, $"begin {begin} is greater than end {end}");
        Begin = begin;
        End = end;
    }

    /// <summary>First value, included.</summary>
    public ulong Begin { get; }

    /// <summary>Last value, included.</summary>
    public ulong End { get; }

    /// <summary>How many values the range holds.</summary>
    public ulong Count => End - Begin + 1;

    /// <summary>Whether the range holds <paramref name="value"/>.</summary>
    public bool Contains(ulong value) => value >= Begin && value <= End;

    /// <summary>Whether the two ranges share at least one value.</summary>
    public bool Overlaps(ValueRange other) => Begin <= other.End && other.Begin <= End;

    /// <summary>"31000-32000", or "80" for a single value.</summary>
    public override string ToString() =>
        Begin == End ? Begin.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{Begin}-{End}");
}
