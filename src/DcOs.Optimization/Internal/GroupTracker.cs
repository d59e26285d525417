using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>
/// Incremental check of UNIQUE, CLUSTER, GROUP_BY and MAX_PER for greedy placement: per group and constraint, how many
/// of the group's tasks sit on each value of the field. Gives the same answers as
/// <see cref="PlacementConstraint.IsSatisfiedBy"/> with the group's placements, in O(1) (GROUP_BY: O(values)) instead
/// of O(tasks placed), except that GROUP_BY takes a new value only while no value holds more than two tasks, so every
/// plan ends balanced (see docs/optimizer.md).
/// </summary>
internal sealed class GroupTracker
{
    private readonly CompiledProblem _p;
    private readonly Counter[][] _counters;
    private readonly Dictionary<string, string?[]> _fieldValues = new(StringComparer.Ordinal);

    public GroupTracker(CompiledProblem p)
    {
        _p = p;
        _counters = new Counter[p.Groups.Length][];
        for (var g = 0; g < p.Groups.Length; g++)
        {
            var group = p.Groups[g];
            _counters[g] = new Counter[group.Dynamic.Length];
            for (var k = 0; k < group.Dynamic.Length; k++)
            {
                var constraint = group.Dynamic[k];
                var counter = new Counter(constraint, ValuesOf(constraint.Field));
                foreach (var placed in group.Existing) counter.Add(PlacementConstraint.FieldValue(placed, constraint.Field));
                _counters[g][k] = counter;
            }
        }
    }

    private GroupTracker(GroupTracker other)
    {
        _p = other._p;
        _fieldValues = other._fieldValues;
        _counters = [.. other._counters.Select(row => row.Select(c => c.Clone()).ToArray())];
    }

    public GroupTracker Clone() => new(this);

    /// <summary>The value of <paramref name="field"/> on every machine (computed once per field).</summary>
    public string?[] ValuesOf(string field)
    {
        if (!_fieldValues.TryGetValue(field, out var values))
        {
            values = new string?[_p.M];
            for (var m = 0; m < values.Length; m++) values[m] = PlacementConstraint.FieldValue(_p.Machines[m].Target, field);
            _fieldValues[field] = values;
        }
        return values;
    }

    public bool Allows(int c, int m)
    {
        var g = _p.Classes[c].Group;
        if (g < 0) return true;
        foreach (var counter in _counters[g])
        {
            if (!counter.Allows(m)) return false;
        }
        return true;
    }

    public void Place(int c, int m)
    {
        var g = _p.Classes[c].Group;
        if (g < 0) return;
        foreach (var counter in _counters[g]) counter.Add(counter.Values[m]);
    }

    private sealed class Counter(PlacementConstraint constraint, string?[] values)
    {
        private Dictionary<string, int> _counts = new(StringComparer.Ordinal);
        private int _missing;
        private int _total;

        public string?[] Values { get; } = values;

        public Counter Clone() => new(constraint, Values) { _counts = new(_counts, StringComparer.Ordinal), _missing = _missing, _total = _total };

        public void Add(string? value)
        {
            _total++;
            if (value is null) _missing++;
            else _counts[value] = _counts.GetValueOrDefault(value) + 1;
        }

        public bool Allows(int m)
        {
            var value = Values[m];
            if (value is null) return constraint.Operator == ConstraintOperator.Unlike;
            var mine = _counts.GetValueOrDefault(value);
            switch (constraint.Operator)
            {
                case ConstraintOperator.Unique:
                    return mine == 0;
                case ConstraintOperator.MaxPer:
                    return mine < int.Parse(constraint.Value!, System.Globalization.CultureInfo.InvariantCulture);
                case ConstraintOperator.Cluster:
                    return (constraint.Value is null || constraint.Value == value) && mine == _total;
                case ConstraintOperator.GroupBy:
                    if (mine == 0)
                    {
                        // Marathon takes a new value any time; here only while no value holds more than two, so the
                        // end state stays balanced (what the CP-SAT model requires, and replayable under Marathon's rule).
                        var most = _missing;
                        foreach (var count in _counts.Values) most = Math.Max(most, count);
                        return most <= 2;
                    }
                    var groups = _counts.Count + (_missing > 0 ? 1 : 0);
                    var smallest = _missing > 0 ? _missing : int.MaxValue;
                    foreach (var count in _counts.Values) smallest = Math.Min(smallest, count);
                    var minimum = constraint.Value is null ? 0 : int.Parse(constraint.Value, System.Globalization.CultureInfo.InvariantCulture);
                    return groups >= minimum && mine == smallest;
                default:
                    return true;
            }
        }
    }
}
