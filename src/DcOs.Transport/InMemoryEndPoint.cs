using System.Net;

namespace DcOs.Transport;

/// <summary>The address of an in-memory listener: just a name.</summary>
/// <param name="name">The listener's name, unique within one <c>InMemoryTransport</c>.</param>
public sealed class InMemoryEndPoint(string name) : EndPoint
{
    /// <summary>The listener's name.</summary>
    public string Name { get; } = string.IsNullOrEmpty(name) ? throw new ArgumentException("an in-memory endpoint needs a name", nameof(name)) : name;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is InMemoryEndPoint other && other.Name == Name;

    /// <inheritdoc />
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => "inmemory://" + Name;
}
