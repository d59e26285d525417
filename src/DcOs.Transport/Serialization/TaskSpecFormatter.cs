using DcOs.Core;
using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary>
/// <see cref="TaskSpec"/> and its parts (command, health check, constraints) as arrays of fields. Reading checks the
/// wire shape only; the receiver calls <see cref="TaskSpec.Validate"/> so that an invalid task is answered with
/// TASK_ERROR naming the field instead of ending the connection.
/// </summary>
internal sealed class TaskSpecFormatter : IMessagePackFormatter<TaskSpec?>
{
    public static readonly TaskSpecFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, TaskSpec? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(10);
        writer.Write(value.Id.Value);
        writer.Write(value.Name);
        WriteCommand(ref writer, value.Command);
        ResourcesFormatter.Instance.Serialize(ref writer, value.Resources, options);
        writer.WriteArrayHeader(value.Constraints.Count);
        foreach (var c in value.Constraints)
        {
            writer.WriteArrayHeader(3);
            writer.Write(c.Field);
            writer.Write(PlacementConstraint.OperatorName(c.Operator));
            writer.Write(c.Value);
        }
        WriteHealthCheck(ref writer, value.HealthCheck);
        WireReader.WriteTimeSpanMs(ref writer, value.KillGracePeriod);
        WireReader.WriteStringMap(ref writer, value.Labels);
        writer.Write(value.GpuModel);
        GpuFormatter.WriteIndexes(ref writer, value.GpuDevices);
    }

    public TaskSpec? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var count = WireReader.BeginObject(ref reader, options);
        if (count < 8) throw new MessagePackSerializationException("task needs 8 fields");
        var id = new TaskId(reader.ReadString()!);
        var name = WireReader.ReadStringOrNil(ref reader);
        var command = ReadCommand(ref reader, options, "task.command");
        var resources = ResourcesFormatter.Instance.Deserialize(ref reader, options) ?? Resources.Empty;
        var n = reader.ReadArrayHeader();
        var constraints = new List<PlacementConstraint>(n);
        for (var i = 0; i < n; i++)
        {
            var field = $"task.constraints[{i}]";
            var parts = reader.ReadArrayHeader();
            if (parts != 3) throw new MessagePackSerializationException($"{field} needs [field, operator, value]");
            var constraintField = reader.ReadString() ?? throw new MessagePackSerializationException($"{field}.field is nil");
            var op = PlacementConstraint.ParseOperator(reader.ReadString(), field + ".operator");
            constraints.Add(new PlacementConstraint(constraintField, op, WireReader.ReadStringOrNil(ref reader), field));
        }
        var health = ReadHealthCheck(ref reader, options);
        var grace = WireReader.ReadTimeSpanMs(ref reader);
        var labels = WireReader.ReadStringMap(ref reader, "task.labels");
        // GPU model and devices came later: an eight-field task asks for no model and lets the master choose devices.
        var gpuModel = count >= 9 ? WireReader.ReadStringOrNil(ref reader) : null;
        var gpuDevices = count >= 10 ? GpuFormatter.ReadIndexes(ref reader) : null;
        WireReader.EndObject(ref reader, count, Math.Min(count, 10));
        return new TaskSpec
        {
            Id = id,
            Name = name,
            Command = command!,
            Resources = resources,
            Constraints = constraints,
            HealthCheck = health,
            KillGracePeriod = grace,
            Labels = labels,
            GpuModel = gpuModel,
            GpuDevices = gpuDevices,
        };
    }

    private static void WriteCommand(ref MessagePackWriter writer, CommandSpec? command)
    {
        if (command is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(4);
        writer.Write(command.Shell);
        WireReader.WriteStrings(ref writer, command.Argv);
        WireReader.WriteStringMap(ref writer, command.Environment);
        writer.Write(command.User);
    }

    private static CommandSpec? ReadCommand(ref MessagePackReader reader, MessagePackSerializerOptions options, string field)
    {
        if (reader.TryReadNil()) return null;
        var count = WireReader.BeginObject(ref reader, options);
        if (count < 3) throw new MessagePackSerializationException($"{field} needs 3 fields");
        var shell = WireReader.ReadStringOrNil(ref reader);
        List<string>? argv = reader.TryReadNil() ? null : WireReader.ReadStrings(ref reader, field + ".argv");
        var env = WireReader.ReadStringMap(ref reader, field + ".environment");
        // The fourth field (user) is newer: a three-field command from an older peer runs as the default user.
        var user = count >= 4 ? WireReader.ReadStringOrNil(ref reader) : null;
        WireReader.EndObject(ref reader, count, 4);
        return new CommandSpec { Shell = shell, Argv = argv, Environment = env, User = user };
    }

    private static void WriteHealthCheck(ref MessagePackWriter writer, HealthCheckSpec? hc)
    {
        if (hc is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(10);
        writer.Write((byte)hc.Kind);
        WriteCommand(ref writer, hc.Command);
        writer.Write(hc.PortIndex);
        if (hc.Port is { } port) writer.Write(port);
        else writer.WriteNil();
        writer.Write(hc.Path);
        WireReader.WriteTimeSpanMs(ref writer, hc.Delay);
        WireReader.WriteTimeSpanMs(ref writer, hc.Interval);
        WireReader.WriteTimeSpanMs(ref writer, hc.Timeout);
        writer.Write(hc.ConsecutiveFailures);
        WireReader.WriteTimeSpanMs(ref writer, hc.GracePeriod);
    }

    private static HealthCheckSpec? ReadHealthCheck(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var count = WireReader.BeginObject(ref reader, options);
        if (count < 10) throw new MessagePackSerializationException("task.healthCheck needs 10 fields");
        var hc = new HealthCheckSpec
        {
            Kind = (HealthCheckKind)reader.ReadByte(),
            Command = ReadCommand(ref reader, options, "task.healthCheck.command"),
            PortIndex = reader.ReadInt32(),
            Port = reader.TryReadNil() ? null : reader.ReadInt32(),
            Path = reader.ReadString() ?? "/",
            Delay = WireReader.ReadTimeSpanMs(ref reader),
            Interval = WireReader.ReadTimeSpanMs(ref reader),
            Timeout = WireReader.ReadTimeSpanMs(ref reader),
            ConsecutiveFailures = reader.ReadInt32(),
            GracePeriod = WireReader.ReadTimeSpanMs(ref reader),
        };
        WireReader.EndObject(ref reader, count, 10);
        return hc;
    }
}
