using DcOs.Core;
using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary>
/// <see cref="TaskStatusUpdate"/> as <c>[taskId, state, reason, source, message, utcTicks, updateId(16 bytes), healthy, agentId, exitCode, signal]</c>,
/// kept compact because status updates are the protocol's hottest message.
/// </summary>
internal sealed class TaskStatusUpdateFormatter : IMessagePackFormatter<TaskStatusUpdate?>
{
    public static readonly TaskStatusUpdateFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, TaskStatusUpdate? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(11);
        writer.Write(value.TaskId.Value);
        writer.Write((byte)value.State);
        writer.Write((byte)value.Reason);
        writer.Write((byte)value.Source);
        writer.Write(value.Message);
        writer.Write(value.Timestamp.UtcTicks);
        GuidFormatter.Instance.Serialize(ref writer, value.UpdateId, options);
        if (value.Healthy is { } healthy) writer.Write(healthy);
        else writer.WriteNil();
        writer.Write(value.AgentId.Value);
        WriteIntOrNil(ref writer, value.ExitCode);
        WriteIntOrNil(ref writer, value.Signal);
    }

    private static void WriteIntOrNil(ref MessagePackWriter writer, int? value)
    {
        if (value is { } v) writer.Write(v);
        else writer.WriteNil();
    }

    private static int? ReadIntOrNil(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadInt32();

    public TaskStatusUpdate? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var count = WireReader.BeginObject(ref reader, options);
        if (count < 9) throw new MessagePackSerializationException("task status needs 9 fields");
        var taskId = new TaskId(reader.ReadString()!);
        var state = (TaskState)reader.ReadByte();
        if (!Enum.IsDefined(state)) throw new MessagePackSerializationException($"unknown task state {(int)state}");
        var status = new TaskStatusUpdate
        {
            TaskId = taskId,
            State = state,
            Reason = (TaskStatusReason)reader.ReadByte(),
            Source = (TaskStatusSource)reader.ReadByte(),
            Message = WireReader.ReadStringOrNil(ref reader),
            Timestamp = new DateTimeOffset(ReadTicks(ref reader), TimeSpan.Zero),
            UpdateId = GuidFormatter.Instance.Deserialize(ref reader, options),
            Healthy = reader.TryReadNil() ? null : reader.ReadBoolean(),
            AgentId = WireReader.ReadStringOrNil(ref reader) is { } agent ? new AgentId(agent) : default,
        };
        // Exit code and signal came after the first nine fields; a peer that sends nine has neither.
        if (count >= 11) status = status with { ExitCode = ReadIntOrNil(ref reader), Signal = ReadIntOrNil(ref reader) };
        WireReader.EndObject(ref reader, count, count >= 11 ? 11 : 9);
        return status;
    }

    private static long ReadTicks(ref MessagePackReader reader)
    {
        var ticks = reader.ReadInt64();
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
            throw new MessagePackSerializationException($"timestamp {ticks} is out of range");
        return ticks;
    }
}
