namespace DcOs.Core;

/// <summary>Helpers on <see cref="PlacementReason"/>.</summary>
public static class PlacementReasons
{
    private static readonly string[] Descriptions =
    [
        "not enough cpus",
        "not enough memory",
        "not enough disk",
        "not enough GPUs",
        "the ports asked for are not free",
        "another resource is short, or no single agent has them all together",
        "a placement constraint rules the agents out",
        "reserved for another role, or the role's quota is reached",
        "the agent is in maintenance",
        "the agent has GPUs and the framework did not declare the GPU capability",
        "there are no agents",
        "no agent is fast enough to finish before the deadline",
        "agents that fit exist but their capacity went to other tasks",
        "the task is invalid",
        "the task id is already in use",
    ];

    /// <summary>The reason in words, for a person ("not enough cpus").</summary>
    public static string Describe(this PlacementReason reason) =>
        (uint)reason < (uint)Descriptions.Length ? Descriptions[(int)reason] : reason.ToString();

    /// <summary>Every reason, in declaration (and wire) order.</summary>
    public static IReadOnlyList<PlacementReason> All { get; } = Enum.GetValues<PlacementReason>();
}
