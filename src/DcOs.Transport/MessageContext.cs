using DcOs.Transport.Messages;

namespace DcOs.Transport;

/// <summary>
/// One received message as a handler sees it: the body (a <see cref="Request"/>'s envelope unwrapped) and a reply that
/// goes back the way the message came, as the request's response or as a message of its own on the same connection.
/// </summary>
internal readonly struct MessageContext(IMessageConnection connection, DcOsMessage message)
{
    /// <summary>The connection the message came on.</summary>
    public IMessageConnection Connection { get; } = connection;

    /// <summary>The message as received, envelope included.</summary>
    public DcOsMessage Message { get; } = message;

    /// <summary>What the peer sent: a request's body, else the message itself.</summary>
    public DcOsMessage Body => Message is Request { Body: { } body } ? body : Message;

    /// <summary>
    /// Answers: a request with its response; any other message with <paramref name="answer"/> queued on the same
    /// connection, after everything sent on it before (so the peer reads the answer before what follows it).
    /// </summary>
    public ValueTask ReplyAsync(DcOsMessage answer)
    {
        if (Message is Request request) return Connection.ReplyAsync(request, answer);
        Connection.TrySend(answer);
        return ValueTask.CompletedTask;
    }

    /// <summary>What to queue on <see cref="Connection"/> to answer with <paramref name="answer"/>: the request's response, or the answer itself.</summary>
    public DcOsMessage AnswerWith(DcOsMessage answer) => Message is Request request ? new Response { Id = request.Id, Body = answer } : answer;
}
