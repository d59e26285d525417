using DcOs.Core;
using MessagePack;

namespace DcOs.Transport.Messages;

/// <summary>A task status update: agent to master, and master to framework.</summary>
[MessagePackObject]
internal sealed class StatusUpdate : DcOsMessage
{
    /// <summary>The task's framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>The update.</summary>
    [Key(1)] public TaskStatusUpdate? Status { get; set; }
}

/// <summary>Acknowledges a status update by its id: framework to master, and master to agent.</summary>
[MessagePackObject]
internal sealed class StatusUpdateAck : DcOsMessage
{
    /// <summary>The task's framework.</summary>
    [Key(0)] public FrameworkId FrameworkId { get; set; }

    /// <summary>The agent the update came from.</summary>
    [Key(1)] public AgentId AgentId { get; set; }

    /// <summary>The task.</summary>
    [Key(2)] public TaskId TaskId { get; set; }

    /// <summary>The acknowledged update.</summary>
    [Key(3)] public Guid UpdateId { get; set; }
}
