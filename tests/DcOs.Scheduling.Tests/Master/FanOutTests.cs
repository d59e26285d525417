using DcOs.Core;
using DcOs.Transport;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>
/// Fan-outs bigger than one frame (issue 16): a round's offers to one framework used to go as one message, which at
/// about 50,000 agents outgrew the 16 MiB frame; the connection closed, the framework re-subscribed, and the same
/// round failed again. Reproduced here with a small frame limit on a few hundred agents.
/// </summary>
public sealed class FanOutTests
{
    [Fact]
    public async Task A_round_of_offers_bigger_than_a_frame_reaches_the_framework_in_several_messages_on_one_connection()
    {
        const int Agents = 300;
        var transport = DcOsTransports.CreateInMemory(new TransportOptions { MaxFrameSize = 16 * 1024, MaxHandshakeFrameSize = 16 * 1024 });
        await using var h = new MasterHarness(transport: transport);
        await h.StartAsync();
        // Six attributes per agent, as a realistic agent has: about 250 bytes an offer, 75 KB for the round.
        for (var i = 0; i < Agents; i++)
            await h.AddAgentAsync("cpus:4;mem:8192;ports:[31000-32000]", $"rack:rack-{i % 40:D3};zone:zone-{i % 3};os:debian-13;kernel:6.12.48;instance:m6i.xlarge;pool:general-purpose");
        var framework = await h.AddFrameworkAsync("big-round");

        var agents = new HashSet<AgentId>();
        for (var i = 0; i < Agents; i++) agents.Add((await framework.NextOfferAsync()).AgentId);
        Assert.Equal(Agents, agents.Count);
        Assert.Equal(1, framework.Subscriptions);
        var batches = new List<int>();
        while (framework.OfferBatches.Reader.TryRead(out var n)) batches.Add(n);
        Assert.Equal(Agents, batches.Sum());
        // Half a 16 KiB frame per message at most: at least ten messages.
        Assert.True(batches.Count >= 10, $"{batches.Count} messages: {string.Join(", ", batches)}");
    }

    [Fact]
    public async Task Reconciling_more_tasks_than_the_send_queue_holds_answers_every_one_without_dropping_the_framework()
    {
        // The send queue holds 64 messages here (16,384 by default): a reconciliation of 2,000 tasks used to close the
        // framework's connection as "send queue full" after the first 64 answers.
        const int Tasks = 2_000;
        var transport = DcOsTransports.CreateInMemory(new TransportOptions { SendQueueCapacity = 64 });
        await using var h = new MasterHarness(transport: transport);
        await h.StartAsync();
        var framework = await h.AddFrameworkAsync("reconciler");
        var ids = Enumerable.Range(0, Tasks).Select(i => new TaskId($"task-{i:D5}")).ToList();
        await framework.Driver.ReconcileAsync([.. ids.Select(id => (id, default(AgentId)))]);

        var answered = new List<TaskId>();
        for (var i = 0; i < Tasks; i++)
        {
            var update = await framework.NextUpdateAsync();
            Assert.Equal(TaskStatusReason.Reconciliation, update.Reason);
            answered.Add(update.TaskId);
        }
        // Every task once, in the order asked, on the one connection.
        Assert.Equal(ids, answered);
        Assert.Equal(1, framework.Subscriptions);
    }
}
