using System.Buffers;

namespace DcOs.Core;

/// <summary>
/// The text rules shared by every id. Task ids become sandbox directory names on agents, so an id is restricted to a
/// character set that is safe in a path component: ASCII letters, digits, '.', '_' and '-', not starting with '.'
/// (which also rules out "." and ".."), at most <see cref="MaxLength"/> characters.
/// </summary>
public static class IdText
{
    /// <summary>The longest id accepted, in characters.</summary>
    public const int MaxLength = 200;

    /// <summary>Whether <paramref name="value"/> is a valid id text.</summary>
    public static bool IsValid(string? value) => Check(value) is null;

    /// <summary>Returns <paramref name="value"/> or throws a <see cref="ValidationException"/> naming <paramref name="field"/>.</summary>
    public static string Validate(string? value, string field)
    {
        var reason = Check(value);
        if (reason is not null) Guard.Fail(field, reason);
        return value!;
    }

    private static string? Check(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "must not be empty";
        if (value.Length > MaxLength) return $"must be at most {MaxLength} characters (got {value.Length})";
        if (value[0] == '.') return $"must not start with '.' (got \"{value}\")";
        // Vectorized: ids are validated on every message read from the network.
        var bad = value.AsSpan().IndexOfAnyExcept(SafeChars);
        return bad < 0 ? null : $"may contain only letters, digits, '.', '_' and '-' (found '{Printable(value[bad])}' in \"{value}\")";
    }

    private static readonly SearchValues<char> SafeChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();
}
