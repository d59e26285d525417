using DcOs.Core;

namespace DcOs.Agent;

/// <summary>
/// One agent: recovers its work directory, registers with the master and runs the tasks the master sends. Registered
/// by <c>AddDcOsAgent</c> and started with the host; can also be started and stopped directly (embedding, tests).
/// </summary>
public interface IDcOsAgent
{
    /// <summary>The agent's id: from the work directory, or assigned by the master on first registration; empty until then.</summary>
    AgentId AgentId { get; }

    /// <summary>What the agent reports about itself (hostname, resources, attributes, cost); null before it starts.</summary>
    AgentInfo? Info { get; }

    /// <summary>Why tasks are not isolated (no writable cgroups, or isolation turned off); null when they are.</summary>
    string? IsolationWarning { get; }

    /// <summary>What recovery from the work directory could not restore (corrupt or truncated files), one line each.</summary>
    IReadOnlyList<string> RecoveryProblems { get; }

    /// <summary>Completes when the agent is registered with the master on its current connection.</summary>
    Task WaitUntilRegisteredAsync(CancellationToken cancellationToken = default);

    /// <summary>Recovers the work directory, then starts connecting to the master.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Disconnects; kills the tasks only when <see cref="AgentOptions.KillTasksOnShutdown"/> is set.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);
}
