using System.Net;
using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Benchmarks.Scale;

/// <summary>
/// The least an agent does for the master: registers with its resources and attributes and answers pings. A seed of the
/// cluster simulator issue 16 asks for (which will run tasks, churn and partitions on fake time); here it lets one
/// process hold tens of thousands of agents over the in-memory transport.
/// </summary>
internal sealed class SimulatedAgent : IMessageHandler
{
    private IMessageConnection? _connection;

    public AgentId Id { get; private set; }

    public static async Task<SimulatedAgent> RegisterAsync(IDcOsTransport transport, EndPoint master, AgentInfo info, CancellationToken cancellationToken)
    {
        var agent = new SimulatedAgent();
        agent._connection = await transport.ConnectAsync(master, new ClientCredentials("agent-" + info.Hostname, PeerRole.Agent), cancellationToken);
        agent._connection.Start(agent);
        var answer = await agent._connection.RequestAsync(new RegisterAgent { Agent = info }, TimeSpan.FromSeconds(120), cancellationToken);
        agent.Id = answer is AgentRegistered registered ? registered.AgentId : throw new InvalidOperationException($"registration of {info.Hostname} refused: {answer}");
        return agent;
    }

    public async ValueTask OnMessageAsync(MessageContext context)
    {
        if (context.Message is AgentPing ping) await context.Connection.SendAsync(new AgentPong { Sequence = ping.Sequence });
    }

    public void OnClosed(IMessageConnection connection, CloseReason reason)
    {
    }

    public Task CloseAsync() => _connection?.CloseAsync("done") ?? Task.CompletedTask;
}
