using System.Globalization;

namespace DcOs.Core;

/// <summary>
/// A non-negative resource quantity held in fixed point with three decimals, as Mesos does, so that arithmetic is exact:
/// 0.1 + 0.2 is exactly 0.3. Values are rounded to the nearest thousandth when created from a <see cref="double"/>.
/// </summary>
public readonly struct Scalar : IEquatable<Scalar>, IComparable<Scalar>
{
    /// <summary>Thousandths per unit.</summary>
    public const long Scale = 1000;

    /// <summary>The largest representable value (about 9.2e15 units).</summary>
    public static readonly Scalar MaxValue = new(long.MaxValue);

    private Scalar(long milli) => Milli = milli;

    /// <summary>Zero.</summary>
    public static Scalar Zero => default;

    /// <summary>The value in thousandths of a unit.</summary>
    public long Milli { get; }

    /// <summary>The value as a double (for display and ratios; never for arithmetic).</summary>
    public double Value => Milli / (double)Scale;

    /// <summary>Whether the value is zero.</summary>
    public bool IsZero => Milli == 0;

    /// <summary>Creates a scalar from <paramref name="value"/>, rounded to three decimals.</summary>
    /// <exception cref="ValidationException">The value is NaN, infinite, negative or too large; names <paramref name="field"/>.</exception>
    public static Scalar FromDouble(double value, string field = "value")
    {
        Guard.FiniteNonNegative(value, field);
        var scaled = Math.Round(value * Scale, MidpointRounding.AwayFromZero);
        if (scaled >= long.MaxValue) Guard.Fail(field, $"is too large (at most {MaxValue})");
        return new Scalar((long)scaled);
    }

    /// <summary>Creates a scalar from thousandths.</summary>
    /// <exception cref="ValidationException">The value is negative.</exception>
    public static Scalar FromMilli(long milli, string field = "value")
    {
        if (milli < 0) Guard.Fail(field, $"must not be negative (got {milli} thousandths)");
        return new Scalar(milli);
    }

    /// <summary>Exact sum.</summary>
    /// <exception cref="OverflowException">The sum exceeds <see cref="MaxValue"/>.</exception>
    public static Scalar operator +(Scalar a, Scalar b) => new(checked(a.Milli + b.Milli));

    /// <summary>Exact difference, floored at zero: a quantity never goes negative.</summary>
    public static Scalar operator -(Scalar a, Scalar b) => new(Math.Max(0, a.Milli - b.Milli));

    /// <summary>Compares by value.</summary>
    public static bool operator <(Scalar a, Scalar b) => a.Milli < b.Milli;

    /// <summary>Compares by value.</summary>
    public static bool operator >(Scalar a, Scalar b) => a.Milli > b.Milli;

    /// <summary>Compares by value.</summary>
    public static bool operator <=(Scalar a, Scalar b) => a.Milli <= b.Milli;

    /// <summary>Compares by value.</summary>
    public static bool operator >=(Scalar a, Scalar b) => a.Milli >= b.Milli;

    /// <summary>Equal values.</summary>
    public static bool operator ==(Scalar a, Scalar b) => a.Milli == b.Milli;

    /// <summary>Different values.</summary>
    public static bool operator !=(Scalar a, Scalar b) => a.Milli != b.Milli;

    /// <summary>Converts a double (rounded to three decimals); throws on invalid values.</summary>
    public static implicit operator Scalar(double value) => FromDouble(value);

    /// <inheritdoc />
    public bool Equals(Scalar other) => Milli == other.Milli;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Scalar other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Milli.GetHashCode();

    /// <inheritdoc />
    public int CompareTo(Scalar other) => Milli.CompareTo(other.Milli);

    /// <summary>The shortest exact text, invariant culture: "0.3", "1024", "2.5".</summary>
    public override string ToString() => (Milli / (decimal)Scale).ToString("0.###", CultureInfo.InvariantCulture);
}
