namespace DcOs.Core;

/// <summary>
/// Thrown when a value handed to DcOs is invalid. <see cref="Field"/> names the offending field (a dotted path such as
/// <c>task.resources.cpus</c>) and <see cref="Reason"/> says why, so an API can answer "which field, why".
/// </summary>
public sealed class ValidationException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="field"/> with a human-readable <paramref name="reason"/>.</summary>
    public ValidationException(string field, string reason)
        : base($"{field}: {reason}", field)
    {
        Field = field;
        Reason = reason;
    }

    /// <summary>The field at fault, as a dotted path.</summary>
    public string Field { get; }

    /// <summary>Why the value was refused.</summary>
    public string Reason { get; }

    /// <inheritdoc />
    public override string Message => $"{Field}: {Reason}";

    /// <summary>A copy whose field path is prefixed with <paramref name="parent"/> (e.g. <c>task</c> + <c>cpus</c>).</summary>
    public ValidationException Within(string parent) => new($"{parent}.{Field}", Reason);
}
