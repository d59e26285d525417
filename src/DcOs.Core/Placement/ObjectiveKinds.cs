namespace DcOs.Core.Placement;

/// <summary>
/// The text form of <see cref="ObjectiveKind"/>, the same in every layer that reads or shows one (the HTTP API, the
/// CLI, logs): "cheapest", "fastest", "cheapest-within-deadline", "pack", "spread".
/// </summary>
public static class ObjectiveKinds
{
    private static readonly string[] Names = ["cheapest", "fastest", "cheapest-within-deadline", "pack", "spread"];

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<ObjectiveKind> All { get; } = Enum.GetValues<ObjectiveKind>();

    /// <summary>The kind's text, e.g. "cheapest-within-deadline".</summary>
    public static string Name(this ObjectiveKind kind) =>
        (uint)kind < (uint)Names.Length ? Names[(int)kind] : kind.ToString();

    /// <summary>Whether <paramref name="kind"/> is one of the declared kinds (a number from the wire may be anything).</summary>
    public static bool IsDefined(this ObjectiveKind kind) => (uint)kind < (uint)Names.Length;

    /// <summary>Parses the text form, case-insensitively; the enum name ("CheapestWithinDeadline") is accepted too.</summary>
    /// <exception cref="ValidationException">The text names no objective; <paramref name="field"/> is named with the accepted values.</exception>
    public static ObjectiveKind Parse(string? text, string field = "objective")
    {
        var name = text?.Trim() ?? "";
        for (var i = 0; i < Names.Length; i++)
        {
            if (string.Equals(name, Names[i], StringComparison.OrdinalIgnoreCase) || string.Equals(name, ((ObjectiveKind)i).ToString(), StringComparison.OrdinalIgnoreCase))
                return (ObjectiveKind)i;
        }
        throw new ValidationException(field, $"must be {string.Join(", ", Names[..^1])} or {Names[^1]} (got \"{text}\")");
    }
}
