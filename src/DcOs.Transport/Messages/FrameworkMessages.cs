using DcOs.Core;
using DcOs.Core.Placement;
using MessagePack;

namespace DcOs.Transport.Messages;

/// <summary>A framework subscribes (first time, or after a failover with its id set).</summary>
[MessagePackObject]
internal sealed class SubscribeFramework : DcOsMessage
{
    /// <summary>The framework's description.</summary>
    [Key(0)] public FrameworkInfo? Framework { get; set; }
}

/// <summary>The master accepted the subscription.</summary>
[MessagePackObject]
internal sealed class FrameworkSubscribed : DcOsMessage
{
    /// <summary>The framework's id.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    // Key 1 (a heartbeat interval nobody read) is retired: liveness is the transport's heartbeats, whose interval the
    // server announces in the handshake's Welcome.

    /// <summary>How the cluster's machines are paid for, so the framework's planner minimizes the same bill; null from a master that predates it (machine billing).</summary>
    [Key(2)] public BillingMode? Billing { get; set; }
}

/// <summary>Master to framework: new offers.</summary>
[MessagePackObject]
internal sealed class OffersMessage : DcOsMessage
{
    /// <summary>The offers, one per agent.</summary>
    [Key(0)] public List<Offer> Offers { get; set; } = [];
}

/// <summary>Master to framework: an offer is no longer valid.</summary>
[MessagePackObject]
internal sealed class RescindOffer : DcOsMessage
{
    /// <summary>The withdrawn offer.</summary>
    [Key(0)] public OfferId OfferId { get; set; }
}

/// <summary>Framework to master: use offers to launch tasks; the rest of the offered resources is declined.</summary>
[MessagePackObject]
internal sealed class Accept : DcOsMessage
{
    /// <summary>The offers used; all must be from one agent.</summary>
    [Key(0)] public List<OfferId> OfferIds { get; set; } = [];

    /// <summary>The tasks to launch.</summary>
    [Key(1)] public List<TaskSpec> Launch { get; set; } = [];

    /// <summary>Refusal for what is left unused, in seconds; null for the default (5 s).</summary>
    [Key(2)] public double? RefuseSeconds { get; set; }
}

/// <summary>Framework to master: decline offers.</summary>
[MessagePackObject]
internal sealed class Decline : DcOsMessage
{
    /// <summary>The declined offers.</summary>
    [Key(0)] public List<OfferId> OfferIds { get; set; } = [];

    /// <summary>How long not to re-offer these resources, in seconds; null for the default (5 s).</summary>
    [Key(1)] public double? RefuseSeconds { get; set; }

    /// <summary>
    /// Why the framework could not use the offers, counted per pending task and offer (key: <see cref="PlacementReason"/>
    /// as a number); the master sums them per framework to answer "why is my task pending?".
    /// </summary>
    [Key(2)] public Dictionary<int, long>? Reasons { get; set; }
}

/// <summary>Master to framework: an agent is unreachable or gone; its offers are rescinded and its tasks updated separately.</summary>
[MessagePackObject]
internal sealed class AgentLost : DcOsMessage
{
    /// <summary>The agent.</summary>
    [Key(0)] public AgentId AgentId { get; set; }

    /// <summary>Why ("unreachable: missed 5 pings", "drained", ...).</summary>
    [Key(1)] public string Reason { get; set; } = "";
}

/// <summary>Framework to master: remove decline filters and resume offers (for the roles, or all when empty).</summary>
[MessagePackObject]
internal sealed class Revive : DcOsMessage
{
    /// <summary>Roles to revive; empty for all the framework's roles.</summary>
    [Key(0)] public List<string> Roles { get; set; } = [];
}

/// <summary>Framework to master: stop sending offers (for the roles, or all when empty) until revived.</summary>
[MessagePackObject]
internal sealed class Suppress : DcOsMessage
{
    /// <summary>Roles to suppress; empty for all the framework's roles.</summary>
    [Key(0)] public List<string> Roles { get; set; } = [];
}

/// <summary>Kill a task: framework to master, and master to agent.</summary>
[MessagePackObject]
internal sealed class KillTask : DcOsMessage
{
    /// <summary>The task's framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>The task.</summary>
    [Key(1)] public TaskId TaskId { get; set; }

    /// <summary>The agent, when known.</summary>
    [Key(2)] public AgentId AgentId { get; set; }

    /// <summary>Time between SIGTERM and SIGKILL, in milliseconds; null for the task's own grace period.</summary>
    [Key(3)] public long? GracePeriodMs { get; set; }
}

/// <summary>Framework to master: tell me the state of these tasks (or of all mine, when the list is empty).</summary>
[MessagePackObject]
internal sealed class Reconcile : DcOsMessage
{
    /// <summary>The tasks; empty for implicit reconciliation.</summary>
    [Key(0)] public List<ReconcileTask> Tasks { get; set; } = [];
}

/// <summary>One task to reconcile.</summary>
[MessagePackObject]
internal sealed class ReconcileTask
{
    /// <summary>The task.</summary>
    [Key(0)] public TaskId TaskId { get; set; }

    /// <summary>The agent the framework believes it is on, if any.</summary>
    [Key(1)] public AgentId AgentId { get; set; }
}

/// <summary>Opaque data between a framework and an executor on an agent, relayed by the master.</summary>
[MessagePackObject]
internal sealed class FrameworkMessage : DcOsMessage
{
    /// <summary>The framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>The agent.</summary>
    [Key(1)] public AgentId AgentId { get; set; }

    /// <summary>The executor, if any.</summary>
    [Key(2)] public ExecutorId ExecutorId { get; set; }

    /// <summary>The data.</summary>
    [Key(3)] public byte[] Data { get; set; } = [];
}

/// <summary>Framework to master: remove me and kill all my tasks.</summary>
[MessagePackObject]
internal sealed class Teardown : DcOsMessage
{
    /// <summary>The framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }
}
