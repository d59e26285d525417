using MessagePack;

namespace DcOs.Transport.Messages;

/// <summary>A message that expects an answer: the answer is a <see cref="Response"/> with the same <see cref="Id"/>.</summary>
[MessagePackObject]
internal sealed class Request : DcOsMessage
{
    /// <summary>Correlates the answer; unique per connection and direction.</summary>
    [Key(0)] public long Id { get; set; }

    /// <summary>The question.</summary>
    [Key(1)] public DcOsMessage? Body { get; set; }
}

/// <summary>The answer to the <see cref="Request"/> with the same <see cref="Id"/>.</summary>
[MessagePackObject]
internal sealed class Response : DcOsMessage
{
    /// <inheritdoc />
    [IgnoreMember]
    internal override bool IsApplicationMessage => false;

    /// <summary>The request's id.</summary>
    [Key(0)] public long Id { get; set; }

    /// <summary>The answer (an <see cref="ErrorMessage"/> when the request failed).</summary>
    [Key(1)] public DcOsMessage? Body { get; set; }
}

/// <summary>An error, as the answer to a request or on its own.</summary>
[MessagePackObject]
internal sealed class ErrorMessage : DcOsMessage
{
    /// <summary>What the error means, for the receiver to act on.</summary>
    [Key(0)] public ErrorCode Code { get; set; }

    /// <summary>What went wrong, for a person; names the field when it is a validation error.</summary>
    [Key(1)] public string Message { get; set; } = "";
}
