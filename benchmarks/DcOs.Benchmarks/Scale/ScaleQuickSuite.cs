using System.Collections.Concurrent;
using System.Diagnostics;
using DcOs.Benchmarks.Quick;
using DcOs.Core;
using DcOs.Framework;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;
using DcOs.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Benchmarks.Scale;

/// <summary>
/// <c>quick scale</c> (a first part of issue 16's): the real master over the in-memory transport with N (20,000, 50,000, 100,000) simulated
/// agents of realistic size (8 cpus, a port range, six attributes), registered 256 at a time, then one SDK framework
/// that subscribes and counts the offers it gets. <c>register_s_N</c>: all N registered; <c>offers_all_agents_N</c>: 1
/// when the framework got an offer of every agent within two minutes of subscribing (one message per round outgrew the
/// frame above ~50,000 agents and it got none), <c>first_round_s_N</c>: subscribe to the last of them;
/// <c>reconcile_100k_ok_N</c>: 1 when an explicit reconciliation of 100,000 tasks got every answer on the first
/// connection (it used to close the framework as "send queue full" after ~32,000). One run each (the
/// registration of 50,000 is the slow part); the process holds the master, the agents and both ends of every pipe, so
/// <c>process_kb_per_agent_N</c> bounds, not measures, the master's own memory per agent.
/// </summary>
public sealed class ScaleQuickSuite : IQuickSuite
{
    public string Name => "scale";

    public async Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        foreach (var n in Environment.GetEnvironmentVariable("DCOS_QUICK_SCALE_AGENTS") is { Length: > 0 } only ? [int.Parse(only, System.Globalization.CultureInfo.InvariantCulture)] : new[] { 20_000, 50_000, 100_000 }) await RunAsync(output, n, cancellationToken);
    }

    private static async Task RunAsync(MetricWriter output, int agents, CancellationToken cancellationToken)
    {
        var transport = DcOsTransports.CreateInMemory();
        var options = new MasterOptions { EndPoint = new InMemoryEndPoint("scale-master-" + agents) };
        await using var master = new MasterEngine(options, transport, MasterStores.InMemory(), TimeProvider.System, NullLoggerFactory.Instance);
        await master.StartAsync(cancellationToken);
        var before = Process.GetCurrentProcess().WorkingSet64;

        var registered = new ConcurrentBag<SimulatedAgent>();
        var clock = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(256))
        {
            var registrations = Enumerable.Range(0, agents).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    registered.Add(await SimulatedAgent.RegisterAsync(transport, master.LocalEndPoint!, Info(i), cancellationToken));
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(registrations);
        }
        output.Write($"register_s_{agents / 1000}k", clock.Elapsed.TotalSeconds, "s");
        GC.Collect();
        output.Write($"process_kb_per_agent_{agents / 1000}k", (Process.GetCurrentProcess().WorkingSet64 - before) / 1024.0 / agents, "KB");

        var scheduler = new CountingScheduler(agents);
        await using var framework = DcOsFramework.Create(transport, new FrameworkOptions { Master = master.LocalEndPoint!, Framework = new FrameworkInfo { Name = "scale" } }, scheduler);
        clock.Restart();
        await framework.StartAsync(cancellationToken);
        var subscribed = await Task.WhenAny(framework.Subscribed, Task.Delay(TimeSpan.FromMinutes(2), cancellationToken)) == framework.Subscribed;
        output.Write($"subscribe_s_{agents / 1000}k", subscribed ? clock.Elapsed.TotalSeconds : double.NaN, "s");
        var all = await Task.WhenAny(scheduler.All.Task, Task.Delay(TimeSpan.FromMinutes(2), cancellationToken)) == scheduler.All.Task;
        output.Write($"offers_all_agents_{agents / 1000}k", all ? 1 : 0, "bool");
        output.Write($"offered_agents_{agents / 1000}k", scheduler.Agents, "agents");
        if (all) output.Write($"first_round_s_{agents / 1000}k", clock.Elapsed.TotalSeconds, "s");
        output.Write($"offer_messages_{agents / 1000}k", scheduler.Messages, "messages");

        // An explicit reconciliation of 100,000 tasks the master does not know: 100,000 answers, six times the send queue.
        const int Reconciled = 100_000;
        clock.Restart();
        scheduler.ExpectUpdates(Reconciled);
        await framework.ReconcileAsync([.. Enumerable.Range(0, Reconciled).Select(i => (new TaskId($"ghost-{i:D6}"), default(AgentId)))]);
        var answered = await Task.WhenAny(scheduler.Updated.Task, Task.Delay(TimeSpan.FromMinutes(2), cancellationToken)) == scheduler.Updated.Task;
        output.Write($"reconcile_100k_ok_{agents / 1000}k", answered && scheduler.Subscriptions == 1 ? 1 : 0, "bool");
        if (answered) output.Write($"reconcile_100k_s_{agents / 1000}k", clock.Elapsed.TotalSeconds, "s");
        await framework.StopAsync(CancellationToken.None);
        foreach (var agent in registered) await agent.CloseAsync();
    }

    private static AgentInfo Info(int i) => new()
    {
        Hostname = $"sim-{i:D6}",
        Resources = Resources.Parse("cpus:8;mem:32768;disk:100000;ports:[31000-32000]"),
        Attributes = Attributes.Parse($"rack:rack-{i % 400:D3};zone:zone-{i % 3};os:debian-13;kernel:6.12.48;instance:m6i.2xlarge;pool:general-purpose"),
    };

    /// <summary>Holds every offer (answering none) and counts the agents they cover.</summary>
    private sealed class CountingScheduler(int expected) : FrameworkScheduler
    {
        private readonly ConcurrentDictionary<AgentId, bool> _agents = new();
        private int _messages;

        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Agents => _agents.Count;

        public int Messages => _messages;

        private int _updates;
        private int _expectedUpdates = int.MaxValue;
        private int _subscriptions;

        public TaskCompletionSource Updated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Subscriptions => _subscriptions;

        public void ExpectUpdates(int count) => Volatile.Write(ref _expectedUpdates, count);

        public override Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected)
        {
            Interlocked.Increment(ref _subscriptions);
            return Task.CompletedTask;
        }

        public override Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
        {
            if (Interlocked.Increment(ref _updates) >= Volatile.Read(ref _expectedUpdates)) Updated.TrySetResult();
            return Task.CompletedTask;
        }

        public override Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
        {
            Interlocked.Increment(ref _messages);
            foreach (var offer in offers) _agents.TryAdd(offer.AgentId, true);
            if (_agents.Count >= expected) All.TrySetResult();
            return Task.CompletedTask;
        }
    }
}
