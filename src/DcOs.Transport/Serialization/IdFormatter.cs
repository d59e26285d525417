using DcOs.Core;
using MessagePack;
using MessagePack.Formatters;

namespace DcOs.Transport.Serialization;

/// <summary>Writes an id as its text (nil for an unset id); reading validates the text like the id's constructor.</summary>
internal sealed class IdFormatter<T>(Func<string, T> create, Func<T, string?> text) : IMessagePackFormatter<T>
{
    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) => writer.Write(text(value));

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var value = reader.ReadString();
        return value is null ? default! : create(value);
    }
}

/// <summary>The formatters of the five id types.</summary>
internal static class IdFormatters
{
    public static readonly IMessagePackFormatter[] All =
    [
        new IdFormatter<AgentId>(s => new AgentId(s), id => id.Value),
        new IdFormatter<FrameworkId>(s => new FrameworkId(s), id => id.Value),
        new IdFormatter<TaskId>(s => new TaskId(s), id => id.Value),
        new IdFormatter<OfferId>(s => new OfferId(s), id => id.Value),
        new IdFormatter<ExecutorId>(s => new ExecutorId(s), id => id.Value),
    ];
}
