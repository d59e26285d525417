using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using DcOs.Benchmarks.Quick;
using DcOs.Core;
using DcOs.Framework;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;
using DcOs.Simulation;
using DcOs.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Benchmarks.Scale;

/// <summary>
/// <c>quick scale</c> (issue 16): the real master with simulated agents of realistic size
/// (<see cref="ClusterSimulator.RealisticAgent"/>: 8 cpus, a port range, six attributes) and one SDK framework that
/// launches 100,000 small tasks, all on real time with default timeouts.
/// <list type="bullet">
/// <item>In memory, N = 50,000 and 100,000 agents (DCOS_QUICK_SCALE_AGENTS=N for one size) in this process:
/// <c>register_s_N</c>, <c>offers_all_agents_N</c> (the first round reached every agent), <c>tasks_per_sec_N</c>
/// (first accept to the 100,000th TASK_RUNNING delivered to the framework), <c>accept_to_running_p50/p99_ms_N</c>,
/// <c>agents_view_during_launch_s_N</c> (the master's agent list asked for mid-launch), <c>agents_unreachable_N</c>,
/// <c>tasks_lost_N</c>, <c>duplicate_deliveries_N</c>, <c>reconcile_100k_ok_N</c> (implicit reconciliation answered
/// in full on the first connection), <c>idle_cpu_pct_N</c> and <c>process_gb_N</c>: this process holds the master
/// and every simulated agent, so these bound the master's figures from above.</item>
/// <item>Over TCP, 10,000 agents (DCOS_QUICK_SCALE_TCP=N, 0 skips) against the sample master in its own process,
/// where its memory and CPU are its own: <c>register_s_tcp_10k</c>, <c>kb_per_agent_tcp_10k</c> (master RSS growth
/// per registered agent), <c>idle_cpu_pct_tcp_10k</c> (master CPU over 30 s with every agent registered and
/// answering pings; <c>heap_kb_per_agent_tcp_5k</c> beside it bounds the master's share without the GC's timing),
/// <c>tasks_per_sec_tcp_10k</c> with p50/p99, <c>subscribe_to_first_offer_s_tcp_10k</c>,
/// <c>api_agents_during_launch_s_tcp_10k</c>, and after <c>kill -9</c> of the master and a restart on its SQLite
/// file, <c>failover_reregister_s_tcp_10k</c> (kill to the last agent re-registered) and the tasks and agents lost.</item>
/// </list>
/// </summary>
public sealed class ScaleQuickSuite : IQuickSuite
{
    private const int Tasks = 100_000;

    public string Name => "scale";

    public async Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        // DCOS_QUICK_SCALE_AGENTS=N runs one in-memory size (0: none); DCOS_QUICK_SCALE_TCP=N the TCP one (0: none).
        int[] sizes = Environment.GetEnvironmentVariable("DCOS_QUICK_SCALE_AGENTS") is { Length: > 0 } only ? [int.Parse(only, CultureInfo.InvariantCulture)] : [50_000, 100_000];
        sizes = [.. sizes.Where(n => n > 0)];
        var tcp = Environment.GetEnvironmentVariable("DCOS_QUICK_SCALE_TCP") is { Length: > 0 } t ? int.Parse(t, CultureInfo.InvariantCulture) : 10_000;
        long unreachable = 0, lost = 0, duplicates = 0;
        if (tcp > 0)
        {
            await RunHeapAsync(output, Math.Min(tcp, 5_000), cancellationToken);
            var (u, l, d) = await RunTcpAsync(output, tcp, cancellationToken);
            (unreachable, lost, duplicates) = (unreachable + u, lost + l, duplicates + d);
        }
        foreach (var n in sizes)
        {
            var (u, l, d) = await RunInMemoryAsync(output, n, cancellationToken);
            (unreachable, lost, duplicates) = (unreachable + u, lost + l, duplicates + d);
        }
        output.Write("agents_unreachable", unreachable, "agents");
        output.Write("tasks_lost", lost, "tasks");
        output.Write("duplicate_deliveries", duplicates, "updates");
    }

    private static string Size(int agents) => agents % 1000 == 0 ? $"{agents / 1000}k" : agents.ToString(CultureInfo.InvariantCulture);

    private static async Task<(long Unreachable, long Lost, long Duplicates)> RunInMemoryAsync(MetricWriter output, int agents, CancellationToken cancellationToken)
    {
        var k = Size(agents);
        var transport = DcOsTransports.CreateInMemory();
        await using var master = new MasterEngine(new MasterOptions { EndPoint = new InMemoryEndPoint("scale-master-" + k) }, transport, MasterStores.InMemory(), TimeProvider.System, NullLoggerFactory.Instance);
        await master.StartAsync(cancellationToken);
        await using var cluster = new ClusterSimulator(new SimulatorOptions { Masters = [master.LocalEndPoint!], Transports = [transport] });

        var clock = Stopwatch.StartNew();
        await cluster.AddAgentsAsync(agents, cancellationToken: cancellationToken);
        output.Write($"register_s_{k}", clock.Elapsed.TotalSeconds, "s");
        output.Write($"idle_cpu_pct_{k}", await ProcessCpuPercentAsync(TimeSpan.FromSeconds(20), cancellationToken), "%");

        var scheduler = new LaunchScheduler(Tasks, (Tasks + agents - 1) / agents);
        scheduler.ExpectAgents(agents);
        await using var framework = DcOsFramework.Create(transport, new FrameworkOptions { Master = master.LocalEndPoint!, Framework = new FrameworkInfo { Name = "scale", FailoverTimeout = TimeSpan.FromDays(1) } }, scheduler);
        clock.Restart();
        await framework.StartAsync(cancellationToken);
        await scheduler.FirstOffer.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
        output.Write($"subscribe_to_first_offer_s_{k}", clock.Elapsed.TotalSeconds, "s");
        // Mid-launch, as a dashboard refresh would: the whole agent list from the master.
        var view = Stopwatch.StartNew();
        await master.GetAgentsAsync();
        output.Write($"agents_view_during_launch_s_{k}", view.Elapsed.TotalSeconds, "s");
        var all = await Within(scheduler.AllOffered.Task, TimeSpan.FromMinutes(2), cancellationToken);
        output.Write($"offers_all_agents_{k}", all ? 1 : 0, "bool");
        await WriteLaunchAsync(output, scheduler, k, cancellationToken);
        await Within(cluster.WhenAllAcknowledgedAsync(cancellationToken), TimeSpan.FromMinutes(2), cancellationToken);

        scheduler.ExpectReconciled(scheduler.Running);
        clock.Restart();
        await framework.ReconcileAsync([]);
        var answered = await Within(scheduler.AllReconciled.Task, TimeSpan.FromMinutes(2), cancellationToken);
        output.Write($"reconcile_100k_ok_{k}", answered && scheduler.Subscriptions == 1 ? 1 : 0, "bool");
        if (answered) output.Write($"reconcile_100k_s_{k}", clock.Elapsed.TotalSeconds, "s");

        var unreachable = (await master.GetAgentsAsync()).Count(a => a.Status == AgentStatus.Unreachable);
        output.Write($"agents_unreachable_{k}", unreachable, "agents");
        output.Write($"tasks_lost_{k}", scheduler.Lost, "tasks");
        output.Write($"duplicate_deliveries_{k}", scheduler.Duplicates, "updates");
        output.Write($"process_gb_{k}", Process.GetCurrentProcess().WorkingSet64 / 1e9, "GB");
        await framework.StopAsync(CancellationToken.None);
        return (unreachable, scheduler.Lost, scheduler.Duplicates);
    }

    private static async Task<(long Unreachable, long Lost, long Duplicates)> RunTcpAsync(MetricWriter output, int agents, CancellationToken cancellationToken)
    {
        var k = "tcp_" + Size(agents);
        var data = Directory.CreateTempSubdirectory("dcos-scale-tcp-");
        var (masterPort, httpPort) = (SampleMasterProcess.FreePort(), SampleMasterProcess.FreePort());
        var master = await SampleMasterProcess.StartAsync(data.FullName, masterPort, httpPort, cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            var rssBefore = master.RssBytes;
            var transport = DcOsTransports.CreateTcp(AgentTransportOptions());
            await using var cluster = new ClusterSimulator(new SimulatorOptions { Masters = [master.MasterEndPoint], Transports = [transport] });
            var clock = Stopwatch.StartNew();
            await cluster.AddAgentsAsync(agents, cancellationToken: cancellationToken);
            output.Write($"register_s_{k}", clock.Elapsed.TotalSeconds, "s");

            // Idle: every agent registered, pinged every 15 s, heartbeating; nothing else happens for 30 s.
            var cpuBefore = master.CpuTime;
            var idle = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
            output.Write($"idle_cpu_pct_{k}", (master.CpuTime - cpuBefore).TotalSeconds / idle.Elapsed.TotalSeconds * 100, "%");
            output.Write($"kb_per_agent_{k}", (master.RssBytes - rssBefore) / 1024.0 / agents, "KB");
            // DCOS_QUICK_SCALE_TCP_IDLE_ONLY=1: registration and the idle figures only (for working on them).
            if (Environment.GetEnvironmentVariable("DCOS_QUICK_SCALE_TCP_IDLE_ONLY") == "1") return (0, 0, 0);

            var scheduler = new LaunchScheduler(Tasks, (Tasks + agents - 1) / agents);
            scheduler.ExpectAgents(agents);
            await using var framework = DcOsFramework.Create(transport, new FrameworkOptions { Master = master.MasterEndPoint, Framework = new FrameworkInfo { Name = "scale", FailoverTimeout = TimeSpan.FromDays(1) } }, scheduler);
            clock.Restart();
            await framework.StartAsync(cancellationToken);
            await scheduler.FirstOffer.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            output.Write($"subscribe_to_first_offer_s_{k}", clock.Elapsed.TotalSeconds, "s");
            var view = Stopwatch.StartNew();
            using (var answer = await http.GetAsync(new Uri(master.Http, "/api/agents"), cancellationToken)) answer.EnsureSuccessStatusCode();
            output.Write($"api_agents_during_launch_s_{k}", view.Elapsed.TotalSeconds, "s");
            await WriteLaunchAsync(output, scheduler, k, cancellationToken);
            await Within(cluster.WhenAllAcknowledgedAsync(cancellationToken), TimeSpan.FromMinutes(2), cancellationToken);
            output.Write($"master_rss_gb_{k}", master.RssBytes / 1e9, "GB");

            // kill -9 and a restart on the same SQLite file: every agent re-registers with its tasks.
            var before = cluster.Counters.Reregistrations;
            var failover = Stopwatch.StartNew();
            master.Kill();
            master.Dispose();
            master = await SampleMasterProcess.StartAsync(data.FullName, masterPort, httpPort, cancellationToken);
            var back = await WaitUntilAsync(() => cluster.Counters.Reregistrations - before >= agents, TimeSpan.FromMinutes(3), cancellationToken);
            output.Write($"failover_reregister_s_{k}", back ? failover.Elapsed.TotalSeconds : double.NaN, "s");

            // The framework re-subscribed on its own; an implicit reconciliation says what the new master knows.
            await WaitUntilAsync(() => scheduler.Subscriptions >= 2, TimeSpan.FromMinutes(1), cancellationToken);
            scheduler.ExpectReconciled(scheduler.Running);
            await framework.ReconcileAsync([]);
            var answered = await Within(scheduler.AllReconciled.Task, TimeSpan.FromMinutes(2), cancellationToken);
            output.Write($"reconcile_after_failover_ok_{k}", answered ? 1 : 0, "bool");

            using var agentsAnswer = await http.GetAsync(new Uri(master.Http, "/api/agents"), cancellationToken);
            using var json = JsonDocument.Parse(await agentsAnswer.Content.ReadAsStringAsync(cancellationToken));
            var unreachable = json.RootElement.EnumerateArray().Count(a => a.GetProperty("status").GetString() == "Unreachable");
            output.Write($"agents_unreachable_{k}", unreachable, "agents");
            output.Write($"tasks_lost_{k}", scheduler.Lost, "tasks");
            output.Write($"duplicate_deliveries_{k}", scheduler.Duplicates, "updates");
            await framework.StopAsync(CancellationToken.None);
            return (unreachable, scheduler.Lost, scheduler.Duplicates);
        }
        finally
        {
            master.Dispose();
            data.Delete(recursive: true);
        }
    }

    /// <summary>The simulated agents' TCP options: the defaults, or DCOS_QUICK_SCALE_AGENT_HEARTBEAT=seconds (experiments).</summary>
    private static TransportOptions AgentTransportOptions()
    {
        var options = new TransportOptions();
        if (Environment.GetEnvironmentVariable("DCOS_QUICK_SCALE_AGENT_HEARTBEAT") is { Length: > 0 } seconds)
        {
            options.HeartbeatInterval = TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture));
            options.IdleTimeout = options.HeartbeatInterval * 3;
        }
        return options;
    }

    /// <summary>
    /// <c>heap_kb_per_agent_tcp_N</c>: the managed heap, after a full collection, that N idle TCP agents add to this
    /// process, which holds the master (in-memory store), the simulated agents and both ends of every connection: an
    /// upper bound of the master's own share that does not move with the GC's timing as RSS does.
    /// </summary>
    private static async Task RunHeapAsync(MetricWriter output, int agents, CancellationToken cancellationToken)
    {
        var transport = DcOsTransports.CreateTcp();
        await using var master = new MasterEngine(new MasterOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, transport, MasterStores.InMemory(), TimeProvider.System, NullLoggerFactory.Instance);
        await master.StartAsync(cancellationToken);
        await using var cluster = new ClusterSimulator(new SimulatorOptions { Masters = [master.LocalEndPoint!], Transports = [transport] });
        await cluster.AddAgentsAsync(16, cancellationToken: cancellationToken);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        await cluster.AddAgentsAsync(agents, cancellationToken: cancellationToken);
        // Every connection has carried a registration and its answer, and been pinged or heartbeated since.
        await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken);
        output.Write($"heap_kb_per_agent_tcp_{Size(agents)}", (GC.GetTotalMemory(forceFullCollection: true) - before) / 1024.0 / agents, "KB");
    }

    private static async Task WriteLaunchAsync(MetricWriter output, LaunchScheduler scheduler, string k, CancellationToken cancellationToken)
    {
        var done = await Within(scheduler.AllRunning.Task, TimeSpan.FromMinutes(5), cancellationToken);
        output.Write($"tasks_running_{k}", scheduler.Running, "tasks");
        if (!done) return;
        output.Write($"tasks_per_sec_{k}", scheduler.TasksPerSecond, "tasks/s");
        output.Write($"accept_to_running_p50_ms_{k}", scheduler.LatencyPercentileMs(0.5), "ms");
        output.Write($"accept_to_running_p99_ms_{k}", scheduler.LatencyPercentileMs(0.99), "ms");
    }

    /// <summary>This process's CPU over <paramref name="window"/>, in % of one core.</summary>
    private static async Task<double> ProcessCpuPercentAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(window, cancellationToken);
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalSeconds / clock.Elapsed.TotalSeconds * 100;
    }

    private static async Task<bool> Within(Task task, TimeSpan limit, CancellationToken cancellationToken) =>
        await Task.WhenAny(task, Task.Delay(limit, cancellationToken)) == task;

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan limit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) return false;
            await Task.Delay(50, cancellationToken);
        }
        return true;
    }
}
