namespace DcOs.Core;

/// <summary>The value type of a resource, as in Mesos.</summary>
public enum ResourceKind
{
    /// <summary>A fixed-point quantity (cpus, mem, disk, gpus, custom counts).</summary>
    Scalar,

    /// <summary>Ranges of integers (ports).</summary>
    Ranges,

    /// <summary>A set of text items.</summary>
    Set,
}
