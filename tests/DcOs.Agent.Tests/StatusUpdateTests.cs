using DcOs.Core;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Agent.Tests;

public sealed class StatusUpdateTests
{
    [Fact]
    public async Task An_unacknowledged_update_is_resent_with_backoff_and_the_next_waits_for_its_ack()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        master.ShouldAck = _ => false;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var agent = await TestAgent.StartAsync(master, o =>
        {
            o.StatusUpdateRetryInitial = TimeSpan.FromSeconds(1);
            o.StatusUpdateRetryMax = TimeSpan.FromSeconds(30);
        }, time);

        await master.RunAsync("fw1", Tasks.Argv("quick", "true"));
        await master.WaitUntilAsync(() => master.RawUpdates.Count == 1, "the first update");
        var starting = master.RawUpdates[0];
        Assert.Equal(TaskState.Starting, starting.Status!.State);
        // The task finishes at once, but its RUNNING and FINISHED updates wait behind the unacknowledged STARTING.
        await agent.Runtime.FindTask(new FrameworkId("fw1"), new TaskId("quick"))!.Completion.WaitAsync(TestTimeouts.Default);
        Assert.Single(master.RawUpdates);

        // Resent after the backoff (between half and all of 1 s), with the same update id.
        time.Advance(TimeSpan.FromSeconds(1));
        await master.WaitUntilAsync(() => master.RawUpdates.Count == 2, "a resend");
        Assert.Equal(starting.Status.UpdateId, master.RawUpdates[1].Status!.UpdateId);
        // The next delay is longer: 1 s more is not always enough, 2 s is.
        time.Advance(TimeSpan.FromSeconds(2));
        await master.WaitUntilAsync(() => master.RawUpdates.Count == 3, "a second resend");
        Assert.All(master.RawUpdates, u => Assert.Equal(TaskState.Starting, u.Status!.State));

        master.ShouldAck = _ => true;
        master.Ack(starting);
        var updates = await master.TerminalAsync("quick");
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Finished], updates.Select(u => u.State));
        var raw = master.RawUpdates.Select(u => u.Status!.State).ToList();
        Assert.Equal([TaskState.Starting, TaskState.Starting, TaskState.Starting, TaskState.Running, TaskState.Finished], raw);
    }

    [Fact]
    public async Task By_default_an_unacknowledged_update_waits_mesos_ten_seconds_doubling_before_it_is_resent()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        master.ShouldAck = _ => false;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var agent = await TestAgent.StartAsync(master, time: time);
        var defaults = new AgentOptions();
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10)), (defaults.StatusUpdateRetryInitial, defaults.StatusUpdateRetryMax));

        await master.RunAsync("fw1", Tasks.Argv("quick", "true"));
        await master.WaitUntilAsync(() => master.RawUpdates.Count == 1, "the first update");
        // Between half and all of 10 s, then of 20 s.
        time.Advance(TimeSpan.FromSeconds(10));
        await master.WaitUntilAsync(() => master.RawUpdates.Count == 2, "a resend after 10 s");
        time.Advance(TimeSpan.FromSeconds(20));
        await master.WaitUntilAsync(() => master.RawUpdates.Count == 3, "a resend after 20 s more");
        Assert.All(master.RawUpdates, u => Assert.Equal(master.RawUpdates[0].Status!.UpdateId, u.Status!.UpdateId));
    }

    [Fact]
    public async Task Unacknowledged_updates_are_resent_after_a_reconnect()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var agent = await TestAgent.StartAsync(master, time: time);
        master.ShouldAck = u => u.Status!.State != TaskState.Running;

        await master.RunAsync("fw1", Tasks.Shell("held", "sleep 60"));
        await master.WaitForStateAsync("held", TaskState.Running);
        var running = master.UniqueUpdates.Single(u => u.Status!.State == TaskState.Running);

        master.ShouldAck = _ => true;
        await master.DisconnectAgentAsync();
        // Reconnecting waits a backoff read from the agent's (fake) clock: move it on until the agent is back.
        await Processes.WaitUntilAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            return master.Registrations.Count == 2;
        }, "a re-registration");
        await master.WaitUntilAsync(() => master.RawUpdates.Count(u => u.Status!.UpdateId == running.Status!.UpdateId) == 2, "the resend");
        Assert.Equal([TaskState.Starting, TaskState.Running], master.StatesOf("held"));
    }
}
