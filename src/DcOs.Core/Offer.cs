namespace DcOs.Core;

/// <summary>Resources of one agent offered to one framework.</summary>
public sealed record Offer : IPlacementTarget
{
    /// <summary>The offer's id.</summary>
    public required OfferId Id { get; init; }

    /// <summary>The framework it is offered to.</summary>
    public required FrameworkId FrameworkId { get; init; }

    /// <summary>The agent the resources are on.</summary>
    public required AgentId AgentId { get; init; }

    /// <summary>The agent's hostname.</summary>
    public required string Hostname { get; init; }

    /// <summary>The offered resources.</summary>
    public required Resources Resources { get; init; }

    /// <summary>The agent's attributes.</summary>
    public Attributes Attributes { get; init; } = Attributes.Empty;

    /// <summary>The agent's region.</summary>
    public string? Region { get; init; }

    /// <summary>The agent's zone.</summary>
    public string? Zone { get; init; }

    /// <summary>The agent's prices and speed.</summary>
    public CostModel Cost { get; init; } = CostModel.Free;

    /// <summary>The agent's total resources (for apportioning a machine price).</summary>
    public Resources AgentTotal { get; init; } = Resources.Empty;

    /// <summary>The agent's GPU devices and the share of each that is free when the offer was made; empty when it lists none.</summary>
    public IReadOnlyList<GpuAvailability> Gpus { get; init; } = [];
}
