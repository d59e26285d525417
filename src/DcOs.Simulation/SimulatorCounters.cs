namespace DcOs.Simulation;

/// <summary>What a <see cref="ClusterSimulator"/>'s agents did so far (a snapshot; each field counts across all agents).</summary>
/// <param name="Registrations">First registrations answered by a master.</param>
/// <param name="Reregistrations">Re-registrations (with the agent's tasks) answered by a master.</param>
/// <param name="Disconnects">Connections that closed under an agent, for any reason.</param>
/// <param name="TasksLaunched">RunTask messages that started a task.</param>
/// <param name="TasksRefused">RunTask messages refused (TASK_DROPPED: the task did not fit, or was invalid).</param>
/// <param name="TasksActive">Tasks not in a terminal state now.</param>
/// <param name="UpdatesEmitted">Status updates produced by tasks.</param>
/// <param name="UpdatesSent">Sends of a status update (first sends and resends, without injected duplicates).</param>
/// <param name="UpdatesResent">Resends after the retry delay passed without an acknowledgement.</param>
/// <param name="DuplicatesInjected">Extra copies sent because of <see cref="SimulatorOptions.DuplicateUpdates"/>.</param>
/// <param name="UpdatesAcknowledged">Updates whose acknowledgement came back through the master.</param>
/// <param name="MessagesDropped">Messages lost in either direction to a partition.</param>
/// <param name="UpdatesLost">Unacknowledged updates that went with a removed agent.</param>
public readonly record struct SimulatorCounters(
    long Registrations,
    long Reregistrations,
    long Disconnects,
    long TasksLaunched,
    long TasksRefused,
    long TasksActive,
    long UpdatesEmitted,
    long UpdatesSent,
    long UpdatesResent,
    long DuplicatesInjected,
    long UpdatesAcknowledged,
    long MessagesDropped,
    long UpdatesLost)
{
    /// <summary>Updates emitted and neither acknowledged nor lost with their agent.</summary>
    public long UpdatesPending => UpdatesEmitted - UpdatesAcknowledged - UpdatesLost;
}
