using DcOs.Core;
using MessagePack;

namespace DcOs.Transport.Messages;

/// <summary>An agent's first registration: the master answers with <see cref="AgentRegistered"/> and a new id.</summary>
[MessagePackObject]
internal sealed class RegisterAgent : DcOsMessage
{
    /// <summary>What the agent has and is.</summary>
    [Key(0)] public AgentInfo? Agent { get; set; }
}

/// <summary>An agent coming back (reconnect or restart) with its id and the tasks it still runs.</summary>
[MessagePackObject]
internal sealed class ReregisterAgent : DcOsMessage
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
internal sealed class RunningTask
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
internal sealed class AgentRegistered : DcOsMessage
{
    /// <summary>The agent's id, to be kept in its work directory.</summary>
    [Key(0)] public AgentId AgentId { get; set; }

    // Key 1 (a heartbeat interval nobody read) is retired: liveness is the transport's heartbeats, whose interval the
    // server announces in the handshake's Welcome.

    /// <summary>
    /// The agent's own credential as a token, when it registered with the cluster's join token: the agent keeps it in
    /// its work directory and connects with it from then on. Null otherwise.
    /// </summary>
    [Key(2)] public string? Token { get; set; }
}

/// <summary>Master to agent: start a task.</summary>
[MessagePackObject]
internal sealed class RunTask : DcOsMessage
{
    /// <summary>The task's framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>What to run.</summary>
    [Key(1)] public TaskSpec? Task { get; set; }
}

/// <summary>Master to agent: are you there? The agent answers <see cref="AgentPong"/> with the same sequence.</summary>
[MessagePackObject]
internal sealed class AgentPing : DcOsMessage
{
    /// <summary>Increases per ping.</summary>
    [Key(0)] public long Sequence { get; set; }
}

/// <summary>Agent to master: the answer to <see cref="AgentPing"/>.</summary>
[MessagePackObject]
internal sealed class AgentPong : DcOsMessage
{
    /// <summary>The ping's sequence.</summary>
    [Key(0)] public long Sequence { get; set; }
}

/// <summary>Master to agent (as a <see cref="Request"/>): report resource usage of tasks; answered with <see cref="TaskUsageReport"/>.</summary>
[MessagePackObject]
internal sealed class GetTaskUsage : DcOsMessage
{
    /// <summary>The tasks; empty for all tasks on the agent.</summary>
    [Key(0)] public List<TaskId> TaskIds { get; set; } = [];
}

/// <summary>Agent to master: measured usage of tasks.</summary>
[MessagePackObject]
internal sealed class TaskUsageReport : DcOsMessage
{
    /// <summary>One entry per task.</summary>
    [Key(0)] public List<TaskUsage> Tasks { get; set; } = [];
}

/// <summary>What one task used, from its cgroup or /proc.</summary>
[MessagePackObject]
internal sealed class TaskUsage
{
    /// <summary>The task's framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>The task.</summary>
    [Key(1)] public TaskId TaskId { get; set; }

    /// <summary>CPU time used so far (user + system), in seconds.</summary>
    [Key(2)] public double CpuSeconds { get; set; }

    /// <summary>Resident memory now, in bytes.</summary>
    [Key(3)] public long MemoryBytes { get; set; }

    /// <summary>When it was measured, UTC ticks.</summary>
    [Key(4)] public long TimestampTicks { get; set; }
}

/// <summary>Master to agent (as a <see cref="Request"/>): read part of a task's stdout or stderr; answered with <see cref="TaskLogChunk"/> or an <see cref="ErrorMessage"/>.</summary>
[MessagePackObject]
internal sealed class ReadTaskLog : DcOsMessage
{
    /// <summary>The task's framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>The task.</summary>
    [Key(1)] public TaskId TaskId { get; set; }

    /// <summary>"stdout" or "stderr".</summary>
    [Key(2)] public string File { get; set; } = "stdout";

    /// <summary>Where to start reading; negative counts from the end (a tail).</summary>
    [Key(3)] public long Offset { get; set; } = -64 * 1024;

    /// <summary>At most this many bytes (the agent caps it at 1 MiB).</summary>
    [Key(4)] public int Length { get; set; } = 64 * 1024;
}

/// <summary>Agent to master: a piece of a task's log.</summary>
[MessagePackObject]
internal sealed class TaskLogChunk : DcOsMessage
{
    /// <summary>The text read (UTF-8 decoded, invalid bytes replaced).</summary>
    [Key(0)] public string Data { get; set; } = "";

    /// <summary>Where the returned data starts in the file.</summary>
    [Key(1)] public long Offset { get; set; }

    /// <summary>The file's size when read.</summary>
    [Key(2)] public long FileSize { get; set; }
}
