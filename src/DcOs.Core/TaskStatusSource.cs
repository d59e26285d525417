namespace DcOs.Core;

/// <summary>Who produced a status update.</summary>
public enum TaskStatusSource
{
    /// <summary>The master (validation, agent loss, reconciliation).</summary>
    Master,

    /// <summary>The agent.</summary>
    Agent,

    /// <summary>The executor supervising the process.</summary>
    Executor,
}
