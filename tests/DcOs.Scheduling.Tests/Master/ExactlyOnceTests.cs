using DcOs.Core;
using DcOs.Framework;
using DcOs.Framework.Internal;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>
/// "Each update reaches the scheduler once" past 100,000 updates (issue 16): the SDK's duplicate filter was a window of
/// the last 100,000 update ids, so the resends of a 100,000-task launch were delivered again.
/// </summary>
public sealed class ExactlyOnceTests
{
    private static TaskStatusUpdate Update(int task, TaskState state, Guid id) =>
        new() { TaskId = new TaskId($"task-{task:D6}"), State = state, UpdateId = id, AgentId = new AgentId("agent-1") };

    [Fact]
    public void Every_live_task_is_remembered_however_many_and_ended_ones_up_to_the_limit()
    {
        var memory = new DeliveredUpdates(finishedTasks: 1_000);
        var starting = Enumerable.Range(0, 150_000).Select(_ => Guid.NewGuid()).ToArray();
        var running = Enumerable.Range(0, 150_000).Select(_ => Guid.NewGuid()).ToArray();
        for (var t = 0; t < starting.Length; t++) Assert.True(memory.TryRemember(Update(t, TaskState.Starting, starting[t])));
        for (var t = 0; t < running.Length; t++) Assert.True(memory.TryRemember(Update(t, TaskState.Running, running[t])));
        // 300,000 updates later, every resend is known.
        for (var t = 0; t < starting.Length; t++) Assert.False(memory.TryRemember(Update(t, TaskState.Starting, starting[t])));
        for (var t = 0; t < running.Length; t++) Assert.False(memory.TryRemember(Update(t, TaskState.Running, running[t])));

        // Ended tasks are forgotten oldest first past the limit; the others stay.
        var finished = Enumerable.Range(0, 1_500).Select(_ => Guid.NewGuid()).ToArray();
        for (var t = 0; t < finished.Length; t++) Assert.True(memory.TryRemember(Update(t, TaskState.Finished, finished[t])));
        Assert.Equal(150_000 - 500, memory.Tasks);
        Assert.True(memory.TryRemember(Update(0, TaskState.Finished, finished[0])));
        Assert.False(memory.TryRemember(Update(1_499, TaskState.Finished, finished[1_499])));
        Assert.False(memory.TryRemember(Update(149_999, TaskState.Running, running[149_999])));

        // A delivery the scheduler did not handle is forgotten, so its resend is delivered.
        var healthy = Update(7, TaskState.Running, Guid.NewGuid()) with { Healthy = true };
        Assert.True(memory.TryRemember(healthy));
        memory.Forget(healthy);
        Assert.True(memory.TryRemember(healthy));
    }

    [Fact]
    public async Task Resends_of_120_000_updates_are_acknowledged_again_and_delivered_once()
    {
        const int Tasks = 60_000;
        var transport = new CapturingTransport(DcOsTransports.CreateInMemory());
        await using var h = new MasterHarness(transport: transport);
        await h.StartAsync();
        var framework = await h.AddFrameworkAsync("exactly-once");
        var master = transport.Of("exactly-once");
        var frameworkId = framework.Client.FrameworkId;
        var updates = new List<TaskStatusUpdate>(2 * Tasks);
        for (var t = 0; t < Tasks; t++) updates.Add(Update(t, TaskState.Starting, Guid.NewGuid()));
        for (var t = 0; t < Tasks; t++) updates.Add(Update(t, TaskState.Running, Guid.NewGuid()));

        // Every update, then every one again (the agents' resends before the acknowledgements reached them).
        foreach (var round in new[] { 1, 2 })
        {
            foreach (var status in updates) await master.SendAsync(new StatusUpdate { FrameworkId = frameworkId, Status = status });
        }
        // A last marker update: when it arrives, everything before it has been handled (one connection, in order).
        var marker = Update(Tasks, TaskState.Running, Guid.NewGuid());
        await master.SendAsync(new StatusUpdate { FrameworkId = frameworkId, Status = marker });

        var delivered = new Dictionary<Guid, int>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (true)
        {
            var next = await framework.Updates.Reader.ReadAsync(cts.Token);
            delivered[next.UpdateId] = delivered.GetValueOrDefault(next.UpdateId) + 1;
            if (next.UpdateId == marker.UpdateId) break;
        }
        Assert.Equal(2 * Tasks + 1, delivered.Count);
        Assert.All(delivered.Values, n => Assert.Equal(1, n));
    }
}
