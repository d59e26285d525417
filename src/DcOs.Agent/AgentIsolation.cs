namespace DcOs.Agent;

/// <summary>How the agent isolates tasks.</summary>
public enum AgentIsolation
{
    /// <summary>cgroups (v2, or v1 cpu and memory) where the hierarchy is writable; plain processes otherwise, said once in the log and to the master.</summary>
    Auto,

    /// <summary>cgroups or nothing: the agent refuses to start when it cannot create them.</summary>
    Cgroups,

    /// <summary>Plain processes (each in its own process group), no resource limits.</summary>
    None,
}
