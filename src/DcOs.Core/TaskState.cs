namespace DcOs.Core;

/// <summary>Mesos' task states, partition-aware ones included. <see cref="TaskStates.MesosName"/> gives "TASK_RUNNING" etc.</summary>
public enum TaskState
{
    /// <summary>Accepted by the master, on its way to the agent.</summary>
    Staging,

    /// <summary>The agent is starting the process.</summary>
    Starting,

    /// <summary>The process runs.</summary>
    Running,

    /// <summary>A kill was asked; the process is being stopped.</summary>
    Killing,

    /// <summary>Exited with status 0. Terminal.</summary>
    Finished,

    /// <summary>Exited with a non-zero status or a signal, or could not start. Terminal.</summary>
    Failed,

    /// <summary>Stopped by a kill. Terminal.</summary>
    Killed,

    /// <summary>The task description was invalid. Terminal.</summary>
    Error,

    /// <summary>Lost (frameworks that are not partition-aware). Terminal.</summary>
    Lost,

    /// <summary>Never launched (e.g. invalid offers), for partition-aware frameworks. Terminal.</summary>
    Dropped,

    /// <summary>The agent is unreachable; the task may still run. Not terminal.</summary>
    Unreachable,

    /// <summary>Known to be gone (agent removed). Terminal.</summary>
    Gone,

    /// <summary>An operator declared the agent gone. Terminal.</summary>
    GoneByOperator,

    /// <summary>The master knows nothing of the task. Not terminal.</summary>
    Unknown,
}
