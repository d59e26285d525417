using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>Launch validation, status update relay, reconciliation and kill, against the master's public protocol.</summary>
public sealed class TaskLifecycleTests
{
    internal static TaskSpec Task(string id, string resources = "cpus:0.5;mem:128", params string[] constraints) => new()
    {
        Id = new TaskId(id),
        Command = CommandSpec.FromShell("sleep 1000"),
        Resources = Resources.Parse(resources),
        Constraints = [.. constraints.Select(c => PlacementConstraint.Parse(c))],
        Labels = new Dictionary<string, string> { [TaskLabels.Group] = "/app" },
    };

    [Fact]
    public async Task A_launched_task_reaches_its_agent_and_its_updates_reach_the_framework_and_acks_the_agent()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        var offer = await fw.NextOfferAsync();
        await fw.Driver.AcceptAsync([offer.Id], [Task("t1")]);
        var run = await agent.NextLaunchAsync();
        Assert.Equal("t1", run.Task!.Id.Value);
        Assert.Equal(fw.Driver.FrameworkId, run.FrameworkId);

        var sent = await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Running);
        var got = await fw.NextUpdateAsync(run.Task.Id);
        Assert.Equal(TaskState.Running, got.State);
        Assert.Equal(sent.UpdateId, got.UpdateId);
        Assert.Equal(agent.Id, got.AgentId);
        var ack = await agent.NextAckAsync();
        Assert.Equal(sent.UpdateId, ack.UpdateId);

        var tasks = await h.Master.GetTasksAsync();
        var view = Assert.Single(tasks);
        Assert.Equal(TaskState.Running, view.State);
        Assert.NotNull(view.StartedAt);

        // The unused part of the offer returned to the pool: 1.5 cpus are offered again once the filter lapses.
        await h.AdvanceAsync(TimeSpan.FromSeconds(6));
        var rest = await fw.NextOfferAsync();
        Assert.Equal(1.5, rest.Resources.Cpus);
    }

    [Fact]
    public async Task A_resend_of_an_update_reaches_the_scheduler_once_but_is_acknowledged_again()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        await fw.Driver.AcceptAsync([(await fw.NextOfferAsync()).Id], [Task("t1")]);
        var run = await agent.NextLaunchAsync();
        var first = await agent.SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Running);
        await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Running, updateId: first.UpdateId);
        Assert.Equal(first.UpdateId, (await fw.NextUpdateAsync()).UpdateId);
        Assert.Equal(first.UpdateId, (await agent.NextAckAsync()).UpdateId);
        Assert.Equal(first.UpdateId, (await agent.NextAckAsync()).UpdateId);
        await fw.SyncAsync();
        Assert.False(fw.Updates.Reader.TryRead(out _));
    }

    public static TheoryData<string, TaskStatusReason, string> InvalidLaunches() => new()
    {
        { "too big", TaskStatusReason.InsufficientResources, "the offers hold only" },
        { "duplicate", TaskStatusReason.DuplicateTaskId, "already used" },
        { "constraint", TaskStatusReason.ConstraintViolated, "constraint hostname:UNIQUE" },
        { "no command", TaskStatusReason.TaskInvalid, "task.command" },
    };

    [Theory]
    [MemberData(nameof(InvalidLaunches))]
    public async Task An_invalid_launch_is_task_error_with_a_specific_reason_and_launches_nothing(string kind, TaskStatusReason reason, string message)
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var agent = await h.AddAgentAsync("cpus:2;mem:1024", hostname: "h1");
        var offer = await fw.NextOfferAsync();
        TaskSpec bad = kind switch
        {
            "too big" => Task("big", "cpus:4;mem:128"),
            "duplicate" => Task("same"),
            "constraint" => Task("second", "cpus:0.5;mem:128", "hostname:UNIQUE"),
            _ => Task("nocmd") with { Command = null! },
        };
        var launch = new List<TaskSpec>();
        if (kind is "duplicate") launch.Add(Task("same"));
        if (kind is "constraint") launch.Add(Task("first", "cpus:0.5;mem:128", "hostname:UNIQUE"));
        launch.Add(bad);
        await fw.Driver.AcceptAsync([offer.Id], launch);
        var update = await fw.NextUpdateAsync(bad.Id);
        Assert.Equal(TaskState.Error, update.State);
        Assert.Equal(reason, update.Reason);
        Assert.Contains(message, update.Message);
        // Only the valid first task (if any) went to the agent.
        await h.SettleAsync(fw, agent);
        var launched = new List<TaskId>();
        while (agent.Launched.Reader.TryRead(out var run)) launched.Add(run.Task!.Id);
        Assert.Equal(launch.Count - 1, launched.Count);
        if (kind != "duplicate") Assert.DoesNotContain(bad.Id, launched);
    }

    [Fact]
    public async Task Offers_of_two_agents_in_one_accept_are_invalid_and_the_tasks_lost()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var pa = await h.AddFrameworkAsync("pa", capabilities: FrameworkCapabilities.PartitionAware);
        await h.AddAgentAsync("cpus:1;mem:512");
        await h.AddAgentAsync("cpus:1;mem:512");
        await h.AddAgentAsync("cpus:1;mem:512");
        await h.AddAgentAsync("cpus:1;mem:512");
        var o = new List<Offer>();
        while (o.Count < 2) o.Add(await fw.NextOfferAsync());
        await fw.Driver.AcceptAsync([o[0].Id, o[1].Id], [Task("t1")]);
        var lost = await fw.NextUpdateAsync(new TaskId("t1"));
        Assert.Equal(TaskState.Lost, lost.State);
        Assert.Equal(TaskStatusReason.InvalidOffers, lost.Reason);

        var p = new List<Offer>();
        while (p.Count < 2) p.Add(await pa.NextOfferAsync());
        await pa.Driver.AcceptAsync([p[0].Id, p[0].Id], [Task("t2")]);
        var dropped = await pa.NextUpdateAsync(new TaskId("t2"));
        Assert.Equal(TaskState.Dropped, dropped.State);
        Assert.Equal(TaskStatusReason.InvalidOffers, dropped.Reason);
        Assert.Contains("more than once", dropped.Message);
    }

    [Fact]
    public async Task An_unanswered_offer_is_rescinded_after_the_offer_timeout()
    {
        await using var h = new MasterHarness(o => o.OfferTimeout = TimeSpan.FromSeconds(3));
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        await h.AddAgentAsync("cpus:1;mem:512");
        var offer = await fw.NextOfferAsync();
        await h.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.False(fw.Rescinded.Reader.TryRead(out _));
        await h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await h.AdvanceAsync(TimeSpan.FromSeconds(1));
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        Assert.Equal(offer.Id, await fw.Rescinded.Reader.ReadAsync(cts.Token));
    }

    [Fact]
    public async Task Reconciliation_answers_with_mesos_semantics()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var pa = await h.AddFrameworkAsync("pa", capabilities: FrameworkCapabilities.PartitionAware);
        var agent = await h.AddAgentAsync("cpus:4;mem:4096");

        // Unknown task on a known agent: LOST, or GONE when partition-aware.
        await fw.Driver.ReconcileAsync([(new TaskId("nope"), agent.Id)]);
        var u1 = await fw.NextUpdateAsync(new TaskId("nope"));
        Assert.Equal((TaskState.Lost, TaskStatusReason.Reconciliation), (u1.State, u1.Reason));
        await pa.Driver.ReconcileAsync([(new TaskId("nope"), agent.Id)]);
        Assert.Equal(TaskState.Gone, (await pa.NextUpdateAsync(new TaskId("nope"))).State);

        // Unknown agent: TASK_UNKNOWN for a partition-aware framework.
        await pa.Driver.ReconcileAsync([(new TaskId("nope2"), new AgentId("no-such-agent"))]);
        var u3 = await pa.NextUpdateAsync(new TaskId("nope2"));
        Assert.Equal((TaskState.Unknown, TaskStatusReason.Reconciliation), (u3.State, u3.Reason));

        // Implicit: one RUNNING per running task, nothing for finished ones.
        var offer = await fw.NextOfferAsync();
        await fw.Driver.AcceptAsync([offer.Id], [Task("a"), Task("b")]);
        var ra = await agent.NextLaunchAsync();
        var rb = await agent.NextLaunchAsync();
        await agent.SendStatusAsync(ra.FrameworkId, ra.Task!.Id, TaskState.Running);
        await agent.SendStatusAsync(rb.FrameworkId, rb.Task!.Id, TaskState.Running);
        await agent.SendStatusAsync(rb.FrameworkId, rb.Task.Id, TaskState.Finished);
        for (var i = 0; i < 3; i++) await fw.NextUpdateAsync();
        await fw.Driver.ReconcileAsync([]);
        var implicitAnswer = await fw.NextUpdateAsync();
        Assert.Equal(ra.Task.Id, implicitAnswer.TaskId);
        Assert.Equal((TaskState.Running, TaskStatusReason.Reconciliation), (implicitAnswer.State, implicitAnswer.Reason));
        Assert.False(implicitAnswer.NeedsAcknowledgement);
        await fw.SyncAsync();
        Assert.False(fw.Updates.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_kill_goes_to_the_agent_and_its_killed_update_frees_the_resources()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var agent = await h.AddAgentAsync("cpus:1;mem:512");
        await fw.Driver.AcceptAsync([(await fw.NextOfferAsync()).Id], [Task("t", "cpus:1;mem:512")]);
        var run = await agent.NextLaunchAsync();
        await agent.SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Running);
        await fw.NextUpdateAsync();
        await fw.Driver.KillTaskAsync(run.Task.Id);
        Assert.Equal(run.Task.Id, (await agent.NextKillAsync()).TaskId);
        await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Killed);
        Assert.Equal(TaskState.Killed, (await fw.NextUpdateAsync()).State);
        var again = await fw.NextOfferAsync();
        Assert.Equal(1, again.Resources.Cpus);
    }

    [Fact]
    public async Task Declines_with_reasons_answer_why_a_task_is_pending()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        await h.AddAgentAsync("cpus:1;mem:512");
        var offer = await fw.NextOfferAsync();
        await fw.Driver.DeclineAsync([offer.Id], reasons: new Dictionary<PlacementReason, long> { [PlacementReason.InsufficientCpus] = 3, [PlacementReason.Constraint] = 1 });
        await h.SettleAsync(fw);
        var counts = await h.Master.GetRejectionCountsAsync(fw.Driver.FrameworkId);
        Assert.Equal(3, counts[PlacementReason.InsufficientCpus]);
        Assert.Equal(1, counts[PlacementReason.Constraint]);
    }
}
