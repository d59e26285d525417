namespace DcOs.Core;

/// <summary>
/// Why resources did not become a task: the answer to "why is my task pending?". Frameworks report the reasons with
/// their declines (the SDK's offer matcher computes them); the master adds the ones it decides itself.
/// </summary>
public enum OfferRejectionReason
{
    /// <summary>The offer had too few cpus for the task.</summary>
    InsufficientCpus,

    /// <summary>Too little memory.</summary>
    InsufficientMem,

    /// <summary>Too little disk.</summary>
    InsufficientDisk,

    /// <summary>Too few GPUs.</summary>
    InsufficientGpus,

    /// <summary>Not the ports asked for, or too few.</summary>
    InsufficientPorts,

    /// <summary>Some other resource was short.</summary>
    InsufficientOther,

    /// <summary>A placement constraint rejected the agent.</summary>
    Constraint,

    /// <summary>The resources are reserved for another role, or the role's quota limit is reached.</summary>
    Role,

    /// <summary>The agent is draining or under maintenance.</summary>
    Maintenance,

    /// <summary>The agent has GPUs and the framework did not declare the GPU capability.</summary>
    GpuCapability,
}
