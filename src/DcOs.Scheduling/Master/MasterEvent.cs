using DcOs.Core;

namespace DcOs.Scheduling.Master;

/// <summary>
/// One change in the master, in the order the master made them (as the Mesos operator API's event stream): an agent,
/// a framework or a task. Published once the change is complete (a disconnected framework's failover timer is armed).
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Time">When, on the master's clock.</param>
/// <param name="AgentId">The agent concerned (agent events, task updates).</param>
/// <param name="FrameworkId">The framework concerned (framework events, task updates).</param>
/// <param name="Status">The task's new status (<see cref="MasterEventKind.TaskUpdated"/>).</param>
/// <param name="Detail">Why, for a person (a removal's or an unreachable agent's reason; "failover" on a re-subscription).</param>
public sealed record MasterEvent(MasterEventKind Kind, DateTimeOffset Time, AgentId AgentId = default, FrameworkId FrameworkId = default, TaskStatusUpdate? Status = null, string? Detail = null);

/// <summary>The kinds of <see cref="MasterEvent"/>.</summary>
public enum MasterEventKind
{
    /// <summary>An agent registered for the first time.</summary>
    AgentAdded,

    /// <summary>A known agent registered again (after a disconnection, an agent or a master restart).</summary>
    AgentReregistered,

    /// <summary>An agent's connection closed; it is not unreachable yet.</summary>
    AgentDisconnected,

    /// <summary>An agent stopped answering pings (or did not come back after a master restart); its tasks were updated.</summary>
    AgentUnreachable,

    /// <summary>A framework subscribed: a new one, or an existing one failing over (<see cref="MasterEvent.Detail"/> "failover").</summary>
    FrameworkSubscribed,

    /// <summary>A framework's connection closed; its failover timer runs.</summary>
    FrameworkDisconnected,

    /// <summary>A framework was removed (teardown or failover timeout); its tasks were killed.</summary>
    FrameworkRemoved,

    /// <summary>A task's state changed, or it was launched.</summary>
    TaskUpdated,

    /// <summary>A store write failed: the master stopped acting (<see cref="MasterEvent.Detail"/>: the store's error).</summary>
    StoreFailed,

    /// <summary>The store accepts writes again: the master reloaded its state from it and asked every peer to register again.</summary>
    StoreResumed,
}
