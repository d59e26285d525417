namespace DcOs.Scheduling.Master;

/// <summary>Where an agent stands with the master.</summary>
public enum AgentStatus
{
    /// <summary>Registered and answering pings; its resources are offered.</summary>
    Active,

    /// <summary>Known from the store after a master restart, not re-registered yet; not offered.</summary>
    Recovering,

    /// <summary>Missed too many pings; not offered; its tasks are unreachable or lost.</summary>
    Unreachable,

    /// <summary>In maintenance: no new offers, running tasks are being killed.</summary>
    Draining,

    /// <summary>Drained: no tasks, not offered, until reactivated.</summary>
    Drained,
}
