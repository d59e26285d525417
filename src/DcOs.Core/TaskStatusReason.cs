namespace DcOs.Core;

/// <summary>Why a task changed state; a subset of Mesos' TaskStatusUpdate.Reason with the same meanings.</summary>
public enum TaskStatusReason
{
    /// <summary>No particular reason.</summary>
    None,

    /// <summary>The command exited (see the message for the status).</summary>
    CommandExited,

    /// <summary>The process could not be started (e.g. the program does not exist).</summary>
    CommandFailedToStart,

    /// <summary>Killed by the framework or an operator.</summary>
    TaskKilled,

    /// <summary>Killed after failing health checks.</summary>
    TaskUnhealthy,

    /// <summary>Health check status changed.</summary>
    TaskHealthCheckStatusUpdated,

    /// <summary>The cgroup's memory limit was hit (OOM kill).</summary>
    ContainerLimitationMemory,

    /// <summary>The task description is invalid.</summary>
    TaskInvalid,

    /// <summary>The accept used unknown, repeated, rescinded or other agents' offers.</summary>
    InvalidOffers,

    /// <summary>The resources asked for are not in the offers.</summary>
    InsufficientResources,

    /// <summary>The task's placement constraints are not satisfied on the agent.</summary>
    ConstraintViolated,

    /// <summary>A task with the same id already exists in the framework.</summary>
    DuplicateTaskId,

    /// <summary>The agent was removed.</summary>
    AgentRemoved,

    /// <summary>The agent is unreachable (missed heartbeats).</summary>
    AgentUnreachable,

    /// <summary>The agent restarted and the task's process was not found.</summary>
    AgentRestarted,

    /// <summary>The agent is being drained.</summary>
    AgentDrained,

    /// <summary>The agent refused the launch (e.g. not enough free resources).</summary>
    AgentRefused,

    /// <summary>An answer to reconciliation.</summary>
    Reconciliation,

    /// <summary>The framework was removed (failover timeout or teardown).</summary>
    FrameworkRemoved,

    /// <summary>The executor terminated.</summary>
    ExecutorTerminated,

    /// <summary>The task's process disappeared while the agent was down.</summary>
    ProcessLost,

    /// <summary>The sandbox or launch failed on the agent.</summary>
    ContainerLaunchFailed,
}
