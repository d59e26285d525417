using System.Globalization;
using System.Text.RegularExpressions;

namespace DcOs.Core;

/// <summary>
/// A Marathon placement constraint, <c>[field, OPERATOR, value?]</c>, on <c>hostname</c>/<c>@hostname</c>,
/// <c>@zone</c>, <c>@region</c> or any agent attribute, evaluated against a candidate machine and the machines where
/// the group's tasks already run. Semantics follow Marathon's <c>Constraints.scala</c>: an agent without the attribute
/// satisfies only UNLIKE; LIKE and UNLIKE match the whole value.
/// </summary>
public sealed class PlacementConstraint : IEquatable<PlacementConstraint>
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(250);
    private readonly Regex? _regex;
    private readonly int _number;

    /// <summary>Creates and validates the constraint.</summary>
    /// <exception cref="ValidationException">Empty field, missing or malformed value for the operator, bad regex.</exception>
    public PlacementConstraint(string field, ConstraintOperator op, string? value = null, string fieldPath = "constraint")
    {
        Field = Guard.NotEmpty(field, fieldPath + ".field").Trim();
        Operator = op;
        Value = string.IsNullOrEmpty(value) ? null : value;
        switch (op)
        {
            case ConstraintOperator.Like or ConstraintOperator.Unlike:
                if (Value is null) Guard.Fail(fieldPath + ".value", $"{OperatorName(op)} needs a regular expression");
                try
                {
                    _regex = new Regex($"^(?:{Value})$", RegexOptions.CultureInvariant, RegexTimeout);
                }
                catch (ArgumentException e)
                {
                    Guard.Fail(fieldPath + ".value", $"\"{Value}\" is not a valid regular expression: {e.Message}");
                }
                break;
            case ConstraintOperator.MaxPer:
                _number = PositiveNumber(Value, fieldPath + ".value", "MAX_PER needs the maximum number of tasks per value") ;
                break;
            case ConstraintOperator.GroupBy:
                _number = Value is null ? 0 : PositiveNumber(Value, fieldPath + ".value", "GROUP_BY takes the minimum number of groups");
                break;
            case ConstraintOperator.Is:
                if (Value is null) Guard.Fail(fieldPath + ".value", "IS needs the value to compare with");
                break;
            case ConstraintOperator.Unique or ConstraintOperator.Cluster:
                break;
            default:
                Guard.Fail(fieldPath + ".operator", $"unknown operator {(int)op}");
                break;
        }
    }

    /// <summary>The field: <c>hostname</c>, <c>@hostname</c>, <c>@zone</c>, <c>@region</c> or an attribute name.</summary>
    public string Field { get; }

    /// <summary>The operator.</summary>
    public ConstraintOperator Operator { get; }

    /// <summary>The operator's argument, if any.</summary>
    public string? Value { get; }

    /// <summary>Parses Marathon's array form, e.g. <c>["hostname","UNIQUE"]</c> or <c>["rack","GROUP_BY","2"]</c>.</summary>
    /// <exception cref="ValidationException">Wrong length, unknown operator or bad value.</exception>
    public static PlacementConstraint FromParts(IReadOnlyList<string> parts, string fieldPath = "constraint")
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count is < 2 or > 3) Guard.Fail(fieldPath, $"must be [field, OPERATOR] or [field, OPERATOR, value] (got {parts.Count} items)");
        return new PlacementConstraint(parts[0], ParseOperator(parts[1], fieldPath + ".operator"), parts.Count == 3 ? parts[2] : null, fieldPath);
    }

    /// <summary>Parses the colon form, <c>hostname:UNIQUE</c> or <c>rack:GROUP_BY:2</c>.</summary>
    public static PlacementConstraint Parse(string text, string fieldPath = "constraint")
    {
        ArgumentNullException.ThrowIfNull(text);
        return FromParts(text.Split(':', 3, StringSplitOptions.TrimEntries), fieldPath);
    }

    /// <summary>Parses an operator name as Marathon writes it (UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS).</summary>
    /// <exception cref="ValidationException">The name is not one of them.</exception>
    public static ConstraintOperator ParseOperator(string? name, string field = "constraint.operator") =>
        name?.Trim().ToUpperInvariant() switch
        {
            "UNIQUE" => ConstraintOperator.Unique,
            "CLUSTER" => ConstraintOperator.Cluster,
            "GROUP_BY" => ConstraintOperator.GroupBy,
            "LIKE" => ConstraintOperator.Like,
            "UNLIKE" => ConstraintOperator.Unlike,
            "MAX_PER" => ConstraintOperator.MaxPer,
            "IS" => ConstraintOperator.Is,
            _ => Guard.Fail<ConstraintOperator>(field, $"unknown operator \"{name}\"; expected UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS"),
        };

    /// <summary>Marathon's name of an operator.</summary>
    public static string OperatorName(ConstraintOperator op) => op switch
    {
        ConstraintOperator.GroupBy => "GROUP_BY",
        ConstraintOperator.MaxPer => "MAX_PER",
        _ => op.ToString().ToUpperInvariant(),
    };

    /// <summary>The value of <paramref name="field"/> on <paramref name="target"/>, or null when it has none.</summary>
    public static string? FieldValue(IPlacementTarget target, string field)
    {
        ArgumentNullException.ThrowIfNull(target);
        return field switch
        {
            "hostname" or "@hostname" => target.Hostname,
            "@zone" => target.Zone,
            "@region" => target.Region,
            _ => target.Attributes.GetText(field),
        };
    }

    /// <summary>
    /// Whether placing one more task of the group on <paramref name="candidate"/> satisfies this constraint, given
    /// <paramref name="placed"/>: one entry per task of the group already placed (the machine it runs on).
    /// </summary>
    public bool IsSatisfiedBy(IPlacementTarget candidate, IReadOnlyList<IPlacementTarget> placed)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(placed);
        var value = FieldValue(candidate, Field);
        if (value is null) return Operator == ConstraintOperator.Unlike;
        switch (Operator)
        {
            case ConstraintOperator.Unique:
                return !placed.Any(p => FieldValue(p, Field) == value);
            case ConstraintOperator.Cluster:
                return (Value is null || Value == value) && placed.All(p => FieldValue(p, Field) == value);
            case ConstraintOperator.Like:
                return _regex!.IsMatch(value);
            case ConstraintOperator.Unlike:
                return !_regex!.IsMatch(value);
            case ConstraintOperator.Is:
                return Value == value;
            case ConstraintOperator.MaxPer:
                return placed.Count(p => FieldValue(p, Field) == value) < _number;
            default:
                return GroupByAllows(value, placed);
        }
    }

    // Marathon's checkGroupBy: a value not yet used is always accepted; a used one only when there are at least the
    // minimum number of groups and its group is (one of) the smallest.
    private bool GroupByAllows(string value, IReadOnlyList<IPlacementTarget> placed)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var missing = 0;
        foreach (var p in placed)
        {
            var v = FieldValue(p, Field);
            if (v is null) missing++;
            else counts[v] = counts.GetValueOrDefault(v) + 1;
        }
        if (!counts.TryGetValue(value, out var mine)) return true;
        var groups = counts.Count + (missing > 0 ? 1 : 0);
        var smallest = counts.Values.Min();
        if (missing > 0) smallest = Math.Min(smallest, missing);
        return groups >= _number && mine == smallest;
    }

    private static int PositiveNumber(string? text, string field, string what)
    {
        if (text is null) Guard.Fail(field, what);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            Guard.Fail(field, $"\"{text}\" is not a positive whole number ({what})");
        return n;
    }

    /// <inheritdoc />
    public bool Equals(PlacementConstraint? other) =>
        other is not null && Field == other.Field && Operator == other.Operator && Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PlacementConstraint);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Field, Operator, Value);

    /// <summary>The colon form, "rack:GROUP_BY:2".</summary>
    public override string ToString() => Value is null ? $"{Field}:{OperatorName(Operator)}" : $"{Field}:{OperatorName(Operator)}:{Value}";
}
