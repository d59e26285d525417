using DcOs.Core;
using DcOs.Core.Placement;
using MessagePack;

namespace DcOs.Transport.Messages;

/// <summary>
/// Framework to master, as a <see cref="Request"/>: the centralized mode next to offers. The master places the tasks
/// across the whole cluster's free resources with its cost optimizer, launches those it could place, and answers with
/// a <see cref="PlacementResult"/>. Status updates of the launched tasks follow as usual.
/// </summary>
[MessagePackObject]
internal sealed class PlaceTasks : DcOsMessage
{
    /// <summary>The tasks to place.</summary>
    [Key(0)] public List<TaskSpec> Tasks { get; set; } = [];

    /// <summary>What the placement minimizes (cheapest by default).</summary>
    [Key(1)] public ObjectiveKind Objective { get; set; } = ObjectiveKind.Cheapest;

    /// <summary>Estimated duration of each task at speed 1, in seconds (for cost and completion); default 3600.</summary>
    [Key(2)] public double EstimatedDurationSeconds { get; set; } = 3600;
}

/// <summary>The master's answer to <see cref="PlaceTasks"/>.</summary>
[MessagePackObject]
internal sealed class PlacementResult : DcOsMessage
{
    /// <summary>Tasks launched, with their agents.</summary>
    [Key(0)] public List<PlacedTask> Placed { get; set; } = [];

    /// <summary>Tasks not launched, each with the reason.</summary>
    [Key(1)] public List<UnplacedTaskInfo> Unplaced { get; set; } = [];

    /// <summary>The placed tasks' cost per hour on their agents.</summary>
    [Key(2)] public double CostPerHour { get; set; }
}

/// <summary>A task the master launched in centralized mode (the wire form of <see cref="TaskAssignment"/>).</summary>
[MessagePackObject]
internal sealed class PlacedTask
{
    /// <summary>The task.</summary>
    [Key(0)] public TaskId TaskId { get; set; }

    /// <summary>Its agent.</summary>
    [Key(1)] public AgentId AgentId { get; set; }

    /// <summary>Its position in the batch.</summary>
    [Key(2)] public int TaskIndex { get; set; }

    /// <summary>What it costs to run to completion there.</summary>
    [Key(3)] public double Cost { get; set; }

    /// <summary>Its runtime there, in ticks.</summary>
    [Key(4)] public long RuntimeTicks { get; set; }

    /// <summary>When it should finish, in UTC ticks.</summary>
    [Key(5)] public long EstimatedFinishTicks { get; set; }
}

/// <summary>A task the master could not place (the wire form of <see cref="UnplacedTask"/>).</summary>
[MessagePackObject]
internal sealed class UnplacedTaskInfo
{
    /// <summary>The task.</summary>
    [Key(0)] public TaskId TaskId { get; set; }

    /// <summary>Why.</summary>
    [Key(1)] public PlacementReason Reason { get; set; }

    /// <summary>The detail, for a person (the resource, constraint or field at fault).</summary>
    [Key(2)] public string Detail { get; set; } = "";

    /// <summary>Its position in the batch.</summary>
    [Key(3)] public int TaskIndex { get; set; }
}
