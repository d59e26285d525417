namespace DcOs.Core;

/// <summary>What a framework declares it understands, as in Mesos' FrameworkInfo.Capability.</summary>
[Flags]
public enum FrameworkCapabilities
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>Understands TASK_UNREACHABLE, TASK_GONE, TASK_DROPPED and TASK_UNKNOWN (instead of TASK_LOST).</summary>
    PartitionAware = 1,

    /// <summary>May be offered agents with GPUs; others never are, so CPU work does not strand scarce GPUs.</summary>
    GpuResources = 2,

    /// <summary>Subscribes with several roles.</summary>
    MultiRole = 4,

    /// <summary>Accepts tasks placed by the master (centralized batch placement).</summary>
    BatchPlacement = 8,
}
