namespace DcOs.Simulation;

/// <summary>Where a simulated agent stands with its master.</summary>
public enum SimulatedAgentState
{
    /// <summary>Connecting, or waiting for the answer to its (re-)registration.</summary>
    Connecting,

    /// <summary>Registered and answering.</summary>
    Registered,

    /// <summary>Its connection closed; it tries again after a backoff.</summary>
    Disconnected,

    /// <summary>Cut off by <see cref="SimulatedAgent.Partition"/>: every message in either direction is lost until <see cref="SimulatedAgent.Heal"/>.</summary>
    Partitioned,

    /// <summary>Its process died (<see cref="SimulatedAgent.CrashAsync"/>); its tasks go on until <see cref="SimulatedAgent.RestartAsync"/>.</summary>
    Crashed,

    /// <summary>The machine is gone for good (<see cref="SimulatedAgent.RemoveAsync"/>), with its tasks.</summary>
    Removed,
}
