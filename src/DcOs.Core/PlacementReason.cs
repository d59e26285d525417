namespace DcOs.Core;

/// <summary>
/// Why work was not placed: the answer to "why is my task pending?", one vocabulary from the optimizer's plan to the
/// framework's declines, the master's counts and the wire. Frameworks report reasons with their declines (the SDK's
/// offer matcher and planner compute them); the master adds the ones it decides itself (maintenance, roles, GPU
/// capability). <see cref="PlacementReasons.Describe"/> says each in words. The numbers are the wire values.
/// </summary>
public enum PlacementReason
{
    /// <summary>Too few cpus (in the offer, or on any machine the constraints allow).</summary>
    InsufficientCpus,

    /// <summary>Too little memory.</summary>
    InsufficientMem,

    /// <summary>Too little disk.</summary>
    InsufficientDisk,

    /// <summary>Too few GPUs.</summary>
    InsufficientGpus,

    /// <summary>Not the ports asked for, or too few.</summary>
    InsufficientPorts,

    /// <summary>Another resource is short, or no single machine has all of them together.</summary>
    InsufficientOther,

    /// <summary>A placement constraint (or the refusal of preemptible machines) rules out every machine that would fit.</summary>
    Constraint,

    /// <summary>The resources are reserved for another role, or the role's quota limit is reached.</summary>
    Role,

    /// <summary>The agent is draining or under maintenance.</summary>
    Maintenance,

    /// <summary>The agent has GPUs and the framework did not declare the GPU capability.</summary>
    GpuCapability,

    /// <summary>There were no machines at all.</summary>
    NoMachines,

    /// <summary>No machine that fits is fast enough to finish the task by its deadline.</summary>
    Deadline,

    /// <summary>Machines that fit exist, but their capacity went to other tasks (higher priority, or a cheaper plan overall).</summary>
    CapacityExhausted,

    /// <summary>The task's spec is invalid (the detail names the field).</summary>
    InvalidTask,

    /// <summary>The task id is already used by an active task of the framework, or twice in one request.</summary>
    DuplicateTaskId,
}
