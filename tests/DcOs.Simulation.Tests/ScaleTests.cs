using DcOs.Core;
using DcOs.Scheduling.Master;

namespace DcOs.Simulation.Tests;

/// <summary>
/// Issue 16's deterministic scale tests: the real master with tens of thousands of simulated agents on a fake clock,
/// over the in-memory transport. Slow next to the others (registration of 100,000 agents is most of it) but not
/// timing-dependent: nothing here is a wall-clock bound.
/// </summary>
public sealed class ScaleTests
{
    [Fact]
    public async Task Fifty_thousand_agents_lose_ten_percent_at_once_and_the_removal_rate_limit_holds_while_the_rest_stay_active()
    {
        const int Agents = 50_000;
        // 100 per minute at 15 s ping ticks: 25 turns per tick.
        var limit = new AgentRemovalRateLimit(100, TimeSpan.FromMinutes(1));
        await using var h = new SimulationHarness(master: o => o.AgentRemovalRateLimit = limit);
        await h.StartAsync();
        var agents = await h.Cluster.AddAgentsAsync(Agents);
        // A tenth of the cluster goes silent at once (every tenth agent: one in ten of every rack).
        var silent = agents.Where(a => a.Index % 10 == 0).ToList();
        var silentIds = silent.Select(a => a.Id).ToHashSet();
        foreach (var agent in silent) agent.Partition();

        var perTick = (int)(h.Options.AgentPingTimeout / limit.Interval);
        Assert.Equal(25, perTick);
        // Five missed pings make them due at the sixth tick; from then on, at most one tick's turns per tick.
        for (var tick = 1; tick <= h.Options.MaxAgentPingTimeouts + 8; tick++)
        {
            await h.AdvanceAsync(h.Options.AgentPingTimeout);
            var view = await h.Master.GetAgentsAsync();
            var unreachable = view.Where(a => a.Status == AgentStatus.Unreachable).ToList();
            var turns = Math.Max(0, tick - h.Options.MaxAgentPingTimeouts);
            Assert.Equal(turns * perTick, unreachable.Count);
            Assert.All(unreachable, a => Assert.Contains(a.Info.Id, silentIds));
            Assert.Equal(Agents - silent.Count, view.Count(a => a.Status == AgentStatus.Active && !silentIds.Contains(a.Info.Id)));
        }
        Assert.Equal(Agents, h.Cluster.Counters.Registrations);
        Assert.Equal(0, h.Cluster.Counters.Reregistrations);
    }

    [Fact]
    public async Task A_hundred_thousand_agents_are_offered_in_one_round_run_a_task_each_with_every_update_delivered_once_and_reconcile_on_one_connection()
    {
        const int Agents = 100_000;
        // Every update is sent twice at once (an injected resend storm): the SDK must deliver each exactly once.
        await using var h = new SimulationHarness(simulator: o => new SimulatorOptions { Masters = o.Masters, Transports = o.Transports, Time = o.Time, DuplicateUpdates = 1 });
        await h.StartAsync();
        await h.Cluster.AddAgentsAsync(Agents);

        var scheduler = new RecordingScheduler { LaunchTarget = Agents };
        scheduler.ExpectOfferedAgents(Agents);
        scheduler.ExpectRunning(Agents);
        await h.AddFrameworkAsync("scale", scheduler);
        // One round covers every agent: its offers went in many bounded messages, not one of ~20 MB that was refused.
        await scheduler.AllOffered.Task.WaitAsync(TimeSpan.FromMinutes(5));
        await scheduler.AllRunning.Task.WaitAsync(TimeSpan.FromMinutes(5));
        await h.Cluster.WhenAllAcknowledgedAsync().WaitAsync(TimeSpan.FromMinutes(5));

        var counters = h.Cluster.Counters;
        Assert.Equal((long)Agents, counters.TasksLaunched);
        Assert.Equal(2L * Agents, counters.UpdatesEmitted);
        Assert.True(counters.DuplicatesInjected >= 2L * Agents, $"{counters.DuplicatesInjected} duplicates injected");
        Assert.Equal(2 * Agents, scheduler.Deliveries);
        Assert.Equal(0, scheduler.Duplicates);
        Assert.Equal((Agents, Agents), (scheduler.Count(TaskState.Starting), scheduler.Count(TaskState.Running)));

        // Implicit reconciliation of 100,000 tasks: every answer, on the same connection (it used to be closed after ~32,000).
        scheduler.ExpectReconciliations(Agents);
        await scheduler.Driver.ReconcileAsync([]);
        await scheduler.AllReconciled.Task.WaitAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(Agents, scheduler.ReconciliationAnswers);
        Assert.Equal(1, scheduler.Subscriptions);
        Assert.Equal(Agents, (await h.Master.GetAgentsAsync()).Count(a => a.Status == AgentStatus.Active && a.ActiveTasks == 1));
    }
}
