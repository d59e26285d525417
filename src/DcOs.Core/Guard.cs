using System.Diagnostics.CodeAnalysis;

namespace DcOs.Core;

/// <summary>Throw helpers kept out of hot methods so those stay small enough to inline.</summary>
internal static class Guard
{
    [DoesNotReturn]
    public static void Fail(string field, string reason) => throw new ValidationException(field, reason);

    [DoesNotReturn]
    public static T Fail<T>(string field, string reason) => throw new ValidationException(field, reason);

    public static double FiniteNonNegative(double value, string field)
    {
        if (double.IsNaN(value)) Fail(field, "must be a number, not NaN");
        if (double.IsInfinity(value)) Fail(field, "must be finite");
        if (value < 0) Fail(field, $"must not be negative (got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
        return value;
    }

    public static TimeSpan NonNegative(TimeSpan value, string field)
    {
        if (value < TimeSpan.Zero) Fail(field, $"must not be negative (got {value})");
        return value;
    }

    public static string NotEmpty([NotNull] string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) Fail(field, "must not be empty");
        return value;
    }

    /// <summary>Runs <paramref name="validate"/> and prefixes the field of any failure with <paramref name="parent"/>.</summary>
    public static void Within(string parent, Action validate)
    {
        try
        {
            validate();
        }
        catch (ValidationException e)
        {
            throw e.Within(parent);
        }
    }
}
