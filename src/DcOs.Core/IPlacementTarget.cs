namespace DcOs.Core;

/// <summary>What a placement constraint can see of a machine: an agent, or an offer of one.</summary>
public interface IPlacementTarget
{
    /// <summary>The agent's hostname (<c>hostname</c> / <c>@hostname</c>).</summary>
    string Hostname { get; }

    /// <summary>The fault-domain region (<c>@region</c>), if known.</summary>
    string? Region { get; }

    /// <summary>The fault-domain zone (<c>@zone</c>), if known.</summary>
    string? Zone { get; }

    /// <summary>The agent's attributes (any other field).</summary>
    Attributes Attributes { get; }
}
