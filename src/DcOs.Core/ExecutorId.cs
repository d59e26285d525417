using System.Diagnostics.CodeAnalysis;

namespace DcOs.Core;

/// <summary>Identifies an executor on an agent. Text rules: see <see cref="IdText"/>.</summary>
public readonly record struct ExecutorId : IComparable<ExecutorId>
{
    /// <summary>Creates the id, validating its text.</summary>
    /// <exception cref="ValidationException">The text is empty, too long or has an unsafe character.</exception>
    public ExecutorId(string value) => Value = IdText.Validate(value, "executorId");

    /// <summary>The id's text; null only for <c>default</c>.</summary>
    public string Value { get; }

    /// <summary>Whether this is the <c>default</c> (unset) id.</summary>
    public bool IsEmpty => Value is null;

    /// <summary>A new random id.</summary>
    public static ExecutorId New() => new(Guid.NewGuid().ToString("N"));

    /// <summary>Parses <paramref name="value"/> without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out ExecutorId id)
    {
        id = IdText.IsValid(value) ? new ExecutorId(value!) : default;
        return !id.IsEmpty;
    }

    /// <inheritdoc />
    public int CompareTo(ExecutorId other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
