namespace DcOs.Core;

/// <summary>Labels with a meaning to DcOs.</summary>
public static class TaskLabels
{
    /// <summary>
    /// The group a task belongs to for placement constraints (an app id, a job id): UNIQUE, GROUP_BY, MAX_PER and
    /// CLUSTER count the framework's tasks with the same group. Without it, a task's group is its name.
    /// </summary>
    public const string Group = "dcos.group";

    /// <summary>The constraint group of <paramref name="task"/>: its <see cref="Group"/> label, else its name, else its id.</summary>
    public static string GroupOf(TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.Labels.TryGetValue(Group, out var group) ? group : task.Name ?? task.Id.Value;
    }
}
