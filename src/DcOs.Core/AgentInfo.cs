namespace DcOs.Core;

/// <summary>What an agent tells the master about itself: identity, total resources, attributes, fault domain, cost.</summary>
public sealed record AgentInfo : IPlacementTarget
{
    /// <summary>The agent's id (empty until the master assigns one on first registration).</summary>
    public AgentId Id { get; init; }

    /// <summary>The hostname tasks are reached at.</summary>
    public required string Hostname { get; init; }

    /// <summary>Total resources the agent gives to the cluster.</summary>
    public Resources Resources { get; init; } = Resources.Empty;

    /// <summary>
    /// The agent's GPUs, one entry per device; empty when it has none or does not list them (its <c>gpus</c> are then a
    /// plain scalar, not placed per device). When listed, <c>resources.gpus</c> equals their number.
    /// </summary>
    public IReadOnlyList<GpuDevice> Gpus { get; init; } = [];

    /// <summary>Attributes (rack, instance type, os, ...).</summary>
    public Attributes Attributes { get; init; } = Attributes.Empty;

    /// <summary>The fault-domain region, if known (<c>@region</c> in constraints).</summary>
    public string? Region { get; init; }

    /// <summary>The fault-domain zone, if known (<c>@zone</c> in constraints).</summary>
    public string? Zone { get; init; }

    /// <summary>Prices and speed; <see cref="CostModel.Free"/> when not configured.</summary>
    public CostModel Cost { get; init; } = CostModel.Free;

    /// <summary>Checks every field; throws naming the first one at fault.</summary>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    public AgentInfo Validate()
    {
        Guard.NotEmpty(Hostname, "agent.hostname");
        if (Hostname.Length > 253 || Hostname.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            Guard.Fail("agent.hostname", $"\"{Hostname}\" is not a valid hostname");
        ArgumentNullException.ThrowIfNull(Resources);
        ArgumentNullException.ThrowIfNull(Attributes);
        ArgumentNullException.ThrowIfNull(Cost);
        ArgumentNullException.ThrowIfNull(Gpus);
        if (Gpus.Count > 0)
        {
            for (var i = 0; i < Gpus.Count; i++)
            {
                var gpu = Gpus[i] ?? Guard.Fail<GpuDevice>($"agent.gpus[{i}]", "is required");
                gpu.Validate($"agent.gpus[{i}]");
                for (var j = 0; j < i; j++)
                {
                    if (Gpus[j].Index == gpu.Index) Guard.Fail($"agent.gpus[{i}].index", $"repeats device {gpu.Index}");
                }
            }
            if (Resources.Gpus != Gpus.Count)
                Guard.Fail("agent.gpus", $"lists {Gpus.Count} device(s) but resources.gpus is {Resources.Gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        if (Region is not null) Guard.NotEmpty(Region, "agent.region");
        if (Zone is not null) Guard.NotEmpty(Zone, "agent.zone");
        return this;
    }
}
