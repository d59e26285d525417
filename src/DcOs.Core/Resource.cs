namespace DcOs.Core;

/// <summary>
/// One named resource value (a scalar, ranges or a set), optionally reserved for a <see cref="Role"/> and tied to a
/// <see cref="Reservation"/>. Immutable. Name, role and reservation together are the resource's key inside
/// <see cref="Resources"/>.
/// </summary>
public sealed class Resource : IEquatable<Resource>
{
    private Resource(string name, ResourceKind kind, string role, string? reservation, Scalar scalar, RangeSet? ranges, ValueSet? set)
    {
        Name = name;
        Kind = kind;
        Role = role;
        Reservation = reservation;
        Scalar = scalar;
        Ranges = ranges ?? RangeSet.Empty;
        Set = set ?? ValueSet.Empty;
    }

    /// <summary>The resource name, e.g. "cpus".</summary>
    public string Name { get; }

    /// <summary>Scalar, ranges or set.</summary>
    public ResourceKind Kind { get; }

    /// <summary>The role the resource is reserved for; "*" when unreserved.</summary>
    public string Role { get; }

    /// <summary>An optional reservation id (only with a role other than "*").</summary>
    public string? Reservation { get; }

    /// <summary>The quantity, for <see cref="ResourceKind.Scalar"/>.</summary>
    public Scalar Scalar { get; }

    /// <summary>The ranges, for <see cref="ResourceKind.Ranges"/>; empty otherwise.</summary>
    public RangeSet Ranges { get; }

    /// <summary>The items, for <see cref="ResourceKind.Set"/>; empty otherwise.</summary>
    public ValueSet Set { get; }

    /// <summary>Whether the value holds nothing (zero, no range, no item).</summary>
    public bool IsEmpty => Kind switch
    {
        ResourceKind.Scalar => Scalar.IsZero,
        ResourceKind.Ranges => Ranges.IsEmpty,
        _ => Set.IsEmpty,
    };

    /// <summary>A scalar resource.</summary>
    public static Resource OfScalar(string name, Scalar value, string role = ResourceNames.AnyRole, string? reservation = null) =>
        new(ResourceNames.ValidateName(name, "resource.name"), ResourceKind.Scalar, CheckRole(role, reservation), reservation, value, null, null);

    /// <summary>A scalar resource from a double; NaN, infinite and negative values are refused naming the resource.</summary>
    public static Resource OfScalar(string name, double value, string role = ResourceNames.AnyRole, string? reservation = null) =>
        OfScalar(name, Scalar.FromDouble(value, $"resources.{name}"), role, reservation);

    /// <summary>A ranges resource.</summary>
    public static Resource OfRanges(string name, RangeSet ranges, string role = ResourceNames.AnyRole, string? reservation = null)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        return new(ResourceNames.ValidateName(name, "resource.name"), ResourceKind.Ranges, CheckRole(role, reservation), reservation, default, ranges, null);
    }

    /// <summary>A set resource.</summary>
    public static Resource OfSet(string name, ValueSet set, string role = ResourceNames.AnyRole, string? reservation = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        return new(ResourceNames.ValidateName(name, "resource.name"), ResourceKind.Set, CheckRole(role, reservation), reservation, default, null, set);
    }

    /// <summary>Whether <paramref name="other"/> has the same name, role and reservation.</summary>
    public bool SameKey(Resource other) => CompareKey(this, other) == 0;

    /// <summary>The same resource with a different value of the same kind.</summary>
    internal Resource With(Scalar scalar) => new(Name, Kind, Role, Reservation, scalar, null, null);

    internal Resource With(RangeSet ranges) => new(Name, Kind, Role, Reservation, default, ranges, null);

    internal Resource With(ValueSet set) => new(Name, Kind, Role, Reservation, default, null, set);

    /// <summary>The same value, unreserved.</summary>
    internal Resource Unreserved() =>
        Role == ResourceNames.AnyRole ? this : new(Name, Kind, ResourceNames.AnyRole, null, Scalar, Ranges, Set);

    /// <summary>Orders by name, then role, then reservation (ordinal).</summary>
    internal static int CompareKey(Resource a, Resource b)
    {
        var c = string.CompareOrdinal(a.Name, b.Name);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Role, b.Role);
        return c != 0 ? c : string.CompareOrdinal(a.Reservation, b.Reservation);
    }

    /// <inheritdoc />
    public bool Equals(Resource? other) =>
        other is not null && CompareKey(this, other) == 0 && Kind == other.Kind &&
        Scalar == other.Scalar && Ranges.Equals(other.Ranges) && Set.Equals(other.Set);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Resource);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Role, Reservation, Kind, Scalar, Ranges, Set);

    /// <summary>Mesos' text form: "cpus:2", "ports(web):[80-81]", "disk(db,r1):100", "ids:{a,b}".</summary>
    public override string ToString()
    {
        var key = Role == ResourceNames.AnyRole ? Name : Reservation is null ? $"{Name}({Role})" : $"{Name}({Role},{Reservation})";
        var value = Kind switch
        {
            ResourceKind.Scalar => Scalar.ToString(),
            ResourceKind.Ranges => Ranges.ToString(),
            _ => Set.ToString(),
        };
        return key + ":" + value;
    }

    private static string CheckRole(string role, string? reservation)
    {
        ResourceNames.ValidateRole(role, "resource.role");
        if (reservation is not null)
        {
            if (role == ResourceNames.AnyRole) Guard.Fail("resource.reservation", "a reservation needs a role other than \"*\"");
            IdText.Validate(reservation, "resource.reservation");
        }
        return role;
    }
}
