namespace DcOs.Core.Placement;

/// <summary>Why a task was left out of a plan: the answer to "why is my task pending?".</summary>
public enum UnplacedReason
{
    /// <summary>There were no machines at all.</summary>
    NoMachines,

    /// <summary>No machine (that its constraints allow) has enough free cpus.</summary>
    InsufficientCpus,

    /// <summary>No machine has enough free memory.</summary>
    InsufficientMem,

    /// <summary>No machine has enough free disk.</summary>
    InsufficientDisk,

    /// <summary>No machine has enough free GPUs.</summary>
    InsufficientGpus,

    /// <summary>No machine has the ports asked for.</summary>
    InsufficientPorts,

    /// <summary>Another resource is short, or no single machine has all of them together.</summary>
    InsufficientResources,

    /// <summary>A placement constraint (or the refusal of preemptible machines) rules out every machine that would fit.</summary>
    Constraint,

    /// <summary>No machine that fits is fast enough to finish the task by its deadline.</summary>
    Deadline,

    /// <summary>Machines that fit exist, but their capacity went to other tasks (higher priority, or a cheaper plan overall).</summary>
    CapacityExhausted,
}
