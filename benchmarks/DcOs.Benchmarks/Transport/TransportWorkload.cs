using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;

namespace DcOs.Benchmarks.Transport;

/// <summary>The message every transport benchmark sends: a status update of about 100 bytes.</summary>
internal static class TransportWorkload
{
    public static readonly ClientCredentials Client = new("bench-agent", PeerRole.Agent);

    public static StatusUpdate Message { get; } = new()
    {
        FrameworkId = new FrameworkId("framework-0001"),
        Status = new TaskStatusUpdate
        {
            TaskId = new TaskId("web.instance-000042.1a2b3c"),
            State = TaskState.Running,
            Reason = TaskStatusReason.None,
            Source = TaskStatusSource.Executor,
            Timestamp = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero),
            UpdateId = Guid.Parse("6f1c1a52-3d0a-4a8e-9a0e-6d3c2b1a0f99"),
            AgentId = new AgentId("agent-000123-S7"),
        },
    };

    public static int MessageBytes => DcOsSerializer.ToBytes(Message).Length;

    public static Grpc.StatusUpdateProto ProtoMessage { get; } = new()
    {
        FrameworkId = "framework-0001",
        TaskId = "web.instance-000042.1a2b3c",
        State = (int)TaskState.Running,
        Reason = 0,
        Source = (int)TaskStatusSource.Executor,
        TimestampTicks = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero).UtcTicks,
        UpdateId = Google.Protobuf.ByteString.CopyFrom(Guid.Parse("6f1c1a52-3d0a-4a8e-9a0e-6d3c2b1a0f99").ToByteArray()),
        AgentId = "agent-000123-S7",
    };
}
