using DcOs.Core;
using MessagePack;

namespace DcOs.Transport.Messages;

/// <summary>An agent's first registration: the master answers with <see cref="AgentRegistered"/> and a new id.</summary>
[MessagePackObject]
public sealed class RegisterAgent : DcOsMessage
{
    /// <summary>What the agent has and is.</summary>
    [Key(0)] public AgentInfo? Agent { get; set; }
}

/// <summary>An agent coming back (reconnect or restart) with its id and the tasks it still runs.</summary>
[MessagePackObject]
public sealed class ReregisterAgent : DcOsMessage
{
    /// <summary>What the agent has and is; <see cref="AgentInfo.Id"/> is set.</summary>
    [Key(0)] public AgentInfo? Agent { get; set; }

    /// <summary>Tasks the agent runs (or holds unacknowledged terminal updates for).</summary>
    [Key(1)] public List<RunningTask> Tasks { get; set; } = [];

    /// <summary>Set when the agent cannot isolate tasks (no writable cgroups); shown to operators.</summary>
    [Key(2)] public string? IsolationWarning { get; set; }
}

/// <summary>One task as an agent reports it when re-registering.</summary>
[MessagePackObject]
public sealed class RunningTask
{
    /// <summary>The task's framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>The task.</summary>
    [Key(1)] public TaskId TaskId { get; set; }

    /// <summary>Its latest state on the agent.</summary>
    [Key(2)] public TaskState State { get; set; }

    /// <summary>The resources it holds.</summary>
    [Key(3)] public Resources Resources { get; set; } = Resources.Empty;

    /// <summary>The spec it runs, so a master that lost it can rebuild its view.</summary>
    [Key(4)] public TaskSpec? Spec { get; set; }
}

/// <summary>The master accepted an agent (first registration or re-registration).</summary>
[MessagePackObject]
public sealed class AgentRegistered : DcOsMessage
{
    /// <summary>The agent's id, to be kept in its work directory.</summary>
    [Key(0)] public AgentId AgentId { get; set; }

    /// <summary>How often the agent must heartbeat, in milliseconds.</summary>
    [Key(1)] public long HeartbeatIntervalMs { get; set; }
}

/// <summary>Master to agent: start a task.</summary>
[MessagePackObject]
public sealed class RunTask : DcOsMessage
{
    /// <summary>The task's framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>What to run.</summary>
    [Key(1)] public TaskSpec? Task { get; set; }
}
