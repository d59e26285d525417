namespace DcOs.Optimization.Internal;

/// <summary>
/// One scalar capacity dimension: a resource name with its role and reservation, because Mesos matches resources key
/// by key (cpus reserved for "web" cannot serve a task asking for unreserved cpus).
/// </summary>
internal readonly record struct DimensionKey(string Name, string Role, string? Reservation)
{
    public override string ToString() => Role == "*" ? Name : Reservation is null ? $"{Name}({Role})" : $"{Name}({Role},{Reservation})";
}
