using System.Diagnostics.CodeAnalysis;

namespace DcOs.Core;

/// <summary>Identifies an agent (one server) for the life of its work directory. Text rules: see <see cref="IdText"/>.</summary>
public readonly record struct AgentId : IComparable<AgentId>
{
    /// <summary>Creates the id, validating its text.</summary>
    /// <exception cref="ValidationException">The text is empty, too long or has an unsafe character.</exception>
    public AgentId(string value) => Value = IdText.Validate(value, "agentId");

    /// <summary>The id's text; null only for <c>default</c>.</summary>
    public string Value { get; }

    /// <summary>Whether this is the <c>default</c> (unset) id.</summary>
    public bool IsEmpty => Value is null;

    /// <summary>A new random id.</summary>
    public static AgentId New() => new(Guid.NewGuid().ToString("N"));

    /// <summary>Parses <paramref name="value"/> without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out AgentId id)
    {
        id = IdText.IsValid(value) ? new AgentId(value!) : default;
        return !id.IsEmpty;
    }

    /// <inheritdoc />
    public int CompareTo(AgentId other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
