namespace DcOs.Core;

/// <summary>Helpers on <see cref="TaskState"/>.</summary>
public static class TaskStates
{
    private static readonly string[] Names =
    [
        "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED",
        "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_UNREACHABLE", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN",
    ];

    /// <summary>Whether the task can never change state again.</summary>
    public static bool IsTerminal(this TaskState state) => state is TaskState.Finished or TaskState.Failed or TaskState.Killed
        or TaskState.Error or TaskState.Lost or TaskState.Dropped or TaskState.Gone or TaskState.GoneByOperator;

    /// <summary>Whether the task holds resources on an agent (not terminal, not unknown).</summary>
    public static bool IsActive(this TaskState state) => !state.IsTerminal() && state != TaskState.Unknown;

    /// <summary>Mesos' name, e.g. "TASK_RUNNING".</summary>
    public static string MesosName(this TaskState state) =>
        (uint)state < (uint)Names.Length ? Names[(int)state] : state.ToString();

    /// <summary>Parses Mesos' name ("TASK_RUNNING") or the enum name ("Running").</summary>
    /// <exception cref="ValidationException">The name is not a task state.</exception>
    public static TaskState Parse(string text, string field = "state")
    {
        var name = text?.Trim();
        var index = Array.IndexOf(Names, name?.ToUpperInvariant());
        if (index >= 0) return (TaskState)index;
        // Names only: Enum.TryParse would also accept numbers ("2") and flag lists ("Staging,Running").
        foreach (var state in Enum.GetValues<TaskState>())
        {
            if (string.Equals(state.ToString(), name, StringComparison.OrdinalIgnoreCase)) return state;
        }
        return Guard.Fail<TaskState>(field, $"\"{text}\" is not a task state (expected e.g. TASK_RUNNING)");
    }
}
