namespace DcOs.Core;

/// <summary>Marathon's placement constraint operators.</summary>
public enum ConstraintOperator
{
    /// <summary>No two tasks of the group share the field's value.</summary>
    Unique,

    /// <summary>All tasks share one value of the field (the given one, or the first one chosen).</summary>
    Cluster,

    /// <summary>Spread evenly over the field's values; the optional value is the minimum number of groups.</summary>
    GroupBy,

    /// <summary>The field's value fully matches the regular expression.</summary>
    Like,

    /// <summary>The field's value does not match the regular expression (or the field is absent).</summary>
    Unlike,

    /// <summary>At most the given number of tasks per value of the field.</summary>
    MaxPer,

    /// <summary>The field's value equals the given text.</summary>
    Is,
}
