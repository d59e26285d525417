using System.Collections.Concurrent;
using System.Net;
using DcOs.Core;
using DcOs.Framework;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;
using DcOs.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>Over real loopback TCP: a framework launches 100 tasks across 3 agents and sees every update exactly once.</summary>
public sealed class TcpEndToEndTests
{
    private sealed class LaunchingScheduler(int total) : FrameworkScheduler
    {
        private int _next;

        public ConcurrentDictionary<TaskId, List<TaskStatusUpdate>> Seen { get; } = new();

        public TaskCompletionSource AllFinished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<string> Errors { get; } = new();

        public int Launched => Volatile.Read(ref _next);

        public override Task ErrorAsync(IFrameworkDriver driver, string message)
        {
            Errors.Enqueue(message);
            return Task.CompletedTask;
        }

        /// <summary>What is missing, for a timeout's message: tasks without FINISHED and their states, errors.</summary>
        public string Describe()
        {
            var unfinished = Seen.Where(kv => { lock (kv.Value) return !kv.Value.Any(s => s.State == TaskState.Finished); })
                .Select(kv => { lock (kv.Value) return $"{kv.Key}: {string.Join(",", kv.Value.Select(s => $"{s.State}({s.Reason} {s.Message})"))}"; });
            return $"launched {Launched}, seen {Seen.Count}; unfinished: [{string.Join("; ", unfinished.Take(10))}]; errors: [{string.Join("; ", Errors.Take(10))}]";
        }

        public override async Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
        {
            foreach (var offer in offers)
            {
                var left = offer.Resources;
                var launch = new List<TaskSpec>();
                while (_next < total)
                {
                    var spec = new TaskSpec
                    {
                        Id = new TaskId($"task-{_next:D3}"),
                        Command = CommandSpec.FromShell("true"),
                        Resources = Resources.Parse("cpus:0.1;mem:32"),
                    };
                    if (OfferMatcher.Check(spec, offer, left, []) is not null) break;
                    launch.Add(spec);
                    left = left.Subtract(spec.Resources);
                    _next++;
                }
                if (launch.Count > 0) await driver.AcceptAsync([offer.Id], launch, new Filters(0));
                else await driver.DeclineAsync([offer.Id], new Filters(60));
            }
        }

        public override Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
        {
            var list = Seen.GetOrAdd(status.TaskId, _ => []);
            lock (list) list.Add(status);
            if (Seen.Count == total && Seen.Values.All(l => { lock (l) return l.Any(s => s.State == TaskState.Finished); })) AllFinished.TrySetResult();
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_framework_launches_100_tasks_on_3_agents_and_sees_each_update_exactly_once()
    {
        var transport = DcOsTransports.CreateTcp();
        await using var master = new MasterEngine(new MasterOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, transport, MasterStores.InMemory(), TimeProvider.System, NullLoggerFactory.Instance);
        await master.StartAsync();
        var agents = new List<FakeAgent>();
        for (var i = 0; i < 3; i++)
        {
            var agent = await FakeAgent.RegisterAsync(transport, master.LocalEndPoint!, new AgentInfo { Hostname = $"tcp-agent-{i}", Resources = Resources.Parse("cpus:4;mem:4096") });
            agents.Add(agent);
        }
        // Each agent runs what it is given: RUNNING, then FINISHED; every third task's RUNNING is sent twice, as a
        // resend after a lost acknowledgement would be.
        var running = agents.Select(agent => Task.Run(async () =>
        {
            var count = 0;
            await foreach (var run in agent.Launched.Reader.ReadAllAsync())
            {
                var first = await agent.SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Running);
                if (count++ % 3 == 0) await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Running, updateId: first.UpdateId);
                await agent.SendStatusAsync(run.FrameworkId, run.Task.Id, TaskState.Finished);
            }
        })).ToList();

        var scheduler = new LaunchingScheduler(100);
        await using var client = DcOsFramework.Create(transport, new FrameworkOptions { Master = master.LocalEndPoint!, Framework = new FrameworkInfo { Name = "tcp" } }, scheduler);
        await client.StartAsync();
        try
        {
            await scheduler.AllFinished.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            // Seen once under a fully loaded machine and never reproduced: say what was missing.
            throw new TimeoutException("not every task finished within 60 s: " + scheduler.Describe(), e);
        }

        Assert.Equal(100, scheduler.Seen.Count);
        foreach (var (task, updates) in scheduler.Seen)
        {
            lock (updates)
            {
                Assert.Equal([TaskState.Running, TaskState.Finished], updates.Select(u => u.State));
                Assert.Equal(2, updates.Select(u => u.UpdateId).Distinct().Count());
            }
        }
        var perAgent = (await master.GetTasksAsync()).GroupBy(t => t.AgentId).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, perAgent.Count);
        foreach (var a in agents)
        {
            a.Launched.Writer.TryComplete();
            await a.DisposeAsync();
        }
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(20));
    }
}
