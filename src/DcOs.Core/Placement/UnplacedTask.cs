namespace DcOs.Core.Placement;

/// <summary>A task the plan leaves out, with the reason, so a scheduler can report it and retry later.</summary>
public sealed record UnplacedTask
{
    /// <summary>The task's position in <see cref="PlacementProblem.Tasks"/> (or in the batch a framework handed the master).</summary>
    public required int TaskIndex { get; init; }

    /// <summary>The task's id.</summary>
    public required TaskId TaskId { get; init; }

    /// <summary>The category of the reason.</summary>
    public required PlacementReason Reason { get; init; }

    /// <summary>A human-readable explanation naming the resource, constraint or deadline at fault.</summary>
    public required string Detail { get; init; }

    /// <summary>For a person: "web.1: not enough cpus (needs 4; the largest free is 2)".</summary>
    public override string ToString() => Detail.Length > 0 ? $"{TaskId}: {Reason.Describe()} ({Detail})" : $"{TaskId}: {Reason.Describe()}";
}
