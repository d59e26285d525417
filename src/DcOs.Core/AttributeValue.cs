using System.Globalization;

namespace DcOs.Core;

/// <summary>An agent attribute's value: text ("us-east-1a") or a scalar (8). Constraints compare its <see cref="Text"/>.</summary>
public readonly record struct AttributeValue
{
    private AttributeValue(string text, double? scalar)
    {
        Text = text;
        Scalar = scalar;
    }

    /// <summary>The value as text; for scalars the shortest invariant form ("8", "2.5").</summary>
    public string Text { get; }

    /// <summary>The number, for scalar attributes.</summary>
    public double? Scalar { get; }

    /// <summary>Whether this is a scalar attribute.</summary>
    public bool IsScalar => Scalar.HasValue;

    /// <summary>A text value.</summary>
    public static AttributeValue OfText(string text, string field = "attribute") => new(Guard.NotEmpty(text, field), null);

    /// <summary>A scalar value; NaN and infinities are refused.</summary>
    public static AttributeValue OfScalar(double value, string field = "attribute")
    {
        if (!double.IsFinite(value)) Guard.Fail(field, "must be a finite number");
        return new(value.ToString("R", CultureInfo.InvariantCulture), value);
    }

    /// <summary>Parses as Mesos does: a number becomes a scalar, anything else text.</summary>
    public static AttributeValue Parse(string text, string field = "attribute")
    {
        Guard.NotEmpty(text, field);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? OfScalar(d, field)
            : OfText(text.Trim(), field);
    }

    /// <inheritdoc />
    public override string ToString() => Text ?? string.Empty;
}
