using System.Diagnostics.CodeAnalysis;

namespace DcOs.Core;

/// <summary>Identifies one offer of one agent's resources to one framework. Text rules: see <see cref="IdText"/>.</summary>
public readonly record struct OfferId : IComparable<OfferId>
{
    /// <summary>Creates the id, validating its text.</summary>
    /// <exception cref="ValidationException">The text is empty, too long or has an unsafe character.</exception>
    public OfferId(string value) => Value = IdText.Validate(value, "offerId");

    /// <summary>The id's text; null only for <c>default</c>.</summary>
    public string Value { get; }

    /// <summary>Whether this is the <c>default</c> (unset) id.</summary>
    public bool IsEmpty => Value is null;

    /// <summary>A new random id.</summary>
    public static OfferId New() => new(Guid.NewGuid().ToString("N"));

    /// <summary>Parses <paramref name="value"/> without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out OfferId id)
    {
        id = IdText.IsValid(value) ? new OfferId(value!) : default;
        return !id.IsEmpty;
    }

    /// <inheritdoc />
    public int CompareTo(OfferId other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
