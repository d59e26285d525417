using DcOs.Core;
using DcOs.Framework;
using DcOs.Scheduling.Master;
using DcOs.Transport;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Scheduling.Tests.Master;

public sealed class FrameworkDriverTests
{
    /// <summary>A fake clock that reports each timer it creates, so the test can advance exactly past a backoff.</summary>
    private sealed class ObservableTime : FakeTimeProvider
    {
        public global::System.Threading.Channels.Channel<TimeSpan> Timers { get; } = global::System.Threading.Channels.Channel.CreateUnbounded<TimeSpan>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Timers.Writer.TryWrite(dueTime);
            return timer;
        }
    }

    [Fact]
    public async Task A_dropped_connection_is_reestablished_and_the_framework_resubscribes_with_its_id()
    {
        var transport = new CapturingTransport(DcOsTransports.CreateInMemory());
        await using var h = new MasterHarness(transport: transport);
        await h.StartAsync();
        var time = new ObservableTime();
        var scheduler = new TestScheduler();
        await using var client = DcOsFramework.Create(h.Transport, new FrameworkOptions
        {
            Master = h.EndPoint,
            Framework = new FrameworkInfo { Name = "resilient", FailoverTimeout = TimeSpan.FromMinutes(5) },
        }, scheduler, time);
        scheduler.Client = client;
        await client.StartAsync();
        await client.Subscribed.WaitAsync(MasterHarness.Timeout);
        var id = client.FrameworkId;

        // The master side drops the connection.
        using var watch = h.Master.Watch();
        await transport.Of("resilient").CloseAsync("test drops the framework");
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        var backoff = await time.Timers.Reader.ReadAsync(cts.Token);
        time.Advance(backoff);
        await watch.NextAsync(e => e.Kind == MasterEventKind.FrameworkSubscribed && e.FrameworkId == id && e.Detail == "failover");
        Assert.False(await scheduler.SubscribedEvents.Reader.ReadAsync(cts.Token));
        Assert.True(await scheduler.SubscribedEvents.Reader.ReadAsync(cts.Token));
        Assert.Equal(id, client.FrameworkId);
        var frameworks = await h.Master.GetFrameworksAsync();
        Assert.True(Assert.Single(frameworks).Connected);
    }

    /// <summary>A scheduler whose first status callback fails, as one whose store is full does.</summary>
    private sealed class FailsFirstUpdate : FrameworkScheduler
    {
        public global::System.Threading.Channels.Channel<TaskStatusUpdate> Handled { get; } = global::System.Threading.Channels.Channel.CreateUnbounded<TaskStatusUpdate>();

        public global::System.Threading.Channels.Channel<Offer> Offers { get; } = global::System.Threading.Channels.Channel.CreateUnbounded<Offer>();

        private int _calls;

        public override Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
        {
            foreach (var offer in offers) Offers.Writer.TryWrite(offer);
            return Task.CompletedTask;
        }

        public override Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
        {
            if (Interlocked.Increment(ref _calls) == 1) throw new IOException("the scheduler's store is full");
            Handled.Writer.TryWrite(status);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task An_update_whose_callback_throws_is_not_acknowledged_and_its_resend_is_delivered_again()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var agent = await h.AddAgentAsync("cpus:1;mem:512");
        var scheduler = new FailsFirstUpdate();
        await using var client = DcOsFramework.Create(h.Transport, new FrameworkOptions { Master = h.EndPoint, Framework = new FrameworkInfo { Name = "flaky" } }, scheduler, h.Time);
        await client.StartAsync();
        await client.Subscribed.WaitAsync(MasterHarness.Timeout);
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        await h.AdvanceAsync(h.Options.AllocationInterval);
        var offer = await scheduler.Offers.Reader.ReadAsync(cts.Token);
        await client.AcceptAsync([offer.Id], [TaskLifecycleTests.Task("t1")], new Filters(0));
        var run = await agent.NextLaunchAsync();

        var running = await agent.SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Running);
        await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Running, updateId: running.UpdateId);

        Assert.Equal(running.UpdateId, (await scheduler.Handled.Reader.ReadAsync(cts.Token)).UpdateId);
        // Only the delivery that was handled is acknowledged.
        Assert.Equal(running.UpdateId, (await agent.NextAckAsync()).UpdateId);
        await agent.SyncAsync();
        await h.IdleAsync();
        Assert.False(agent.Acks.Reader.TryRead(out _));
    }

    /// <summary>A scheduler whose offers callback fails on every offer, as one with a definition it cannot place does.</summary>
    private sealed class ThrowsOnOffers : FrameworkScheduler
    {
        public int Calls;

        public global::System.Threading.Channels.Channel<TaskStatusUpdate> Updates { get; } = global::System.Threading.Channels.Channel.CreateUnbounded<TaskStatusUpdate>();

        public override Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
        {
            Interlocked.Increment(ref Calls);
            throw new OverflowException("cpus 1e300 does not fit");
        }

        public override Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
        {
            Updates.Writer.TryWrite(status);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Offers_of_a_callback_that_throws_go_back_to_the_master_and_reach_other_frameworks()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var broken = new ThrowsOnOffers();
        await using var client = DcOsFramework.Create(h.Transport, new FrameworkOptions { Master = h.EndPoint, Framework = new FrameworkInfo { Name = "broken" } }, broken, h.Time);
        await client.StartAsync();
        await client.Subscribed.WaitAsync(MasterHarness.Timeout);
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        await h.AdvanceAsync(h.Options.AllocationInterval);

        // The failed batch is declined for the framework: the master holds no offer for it, and says why it has none.
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        while (client.LastCallbackError is null) await Task.Delay(10, cts.Token);
        Assert.Equal("OffersAsync", client.LastCallbackError.Callback);
        Assert.Contains("1e300", client.LastCallbackError.Message);
        Assert.Equal(1, client.LastCallbackError.DeclinedOffers);
        // A barrier: the master answers this reconciliation after the decline sent before it.
        await client.ReconcileAsync([(new TaskId("probe"), default)]);
        await broken.Updates.Reader.ReadAsync(cts.Token);
        Assert.Equal(0, Assert.Single(await h.Master.GetFrameworksAsync()).OutstandingOffers);

        // Another framework is offered the agent while the broken one's filter lasts.
        var healthy = await h.AddFrameworkAsync("healthy");
        await h.AdvanceAsync(h.Options.AllocationInterval);
        Assert.Equal(agent.Id, (await healthy.NextOfferAsync()).AgentId);
        Assert.Equal(1, broken.Calls);
    }
}
