using System.Diagnostics;
using System.Globalization;
using DcOs.Agent;
using DcOs.Agent.Internal;
using DcOs.Benchmarks.Quick;
using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Benchmarks.Agent;

/// <summary>
/// <c>quick agent</c>: 1,000 short real tasks (argv <c>/bin/true</c>, each under the agent's wrapper shell, in its own
/// session, sandbox and cgroup where cgroups are writable) through one agent (in-process agent, in-process master double
/// over the in-memory transport), from the first RunTask to the last terminal update: <c>tasks_per_sec</c>. In the same
/// run, the machine's own ceiling for starting processes: <c>seq 1000 | xargs -P &lt;cores&gt; -n 1 /bin/true</c>,
/// <c>baseline_per_sec</c>. Three interleaved rounds, medians.
/// </summary>
/// <remarks>
/// The work directory is on tmpfs (/dev/shm) when there is one, so the number measures the agent rather than the file
/// system: on ext4, every inode freed in the last minutes (by any process: builds, other test runs, this suite's own
/// clean-up) makes each file creation scan further, and with 7 files per task that made the same run vary threefold.
/// <c>disk_tasks_per_sec</c> is one round with the work directory in the temp directory, for comparison.
/// <c>agent_cpu_ms_per_task</c> is this process's own cpu time per task (agent, master double, transport; not the tasks'
/// processes), the part of the cost the agent's code decides.
/// DCOS_BENCH_WORKDIR, DCOS_BENCH_ISOLATION (Auto, Cgroups, None) and DCOS_BENCH_CFS=0 (shares only, no CFS quota)
/// override the defaults.
/// </remarks>
public sealed class AgentQuickSuite : IQuickSuite
{
    private const int Tasks = 1_000;

    public string Name => "agent";

    public async Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        var root = Environment.GetEnvironmentVariable("DCOS_BENCH_WORKDIR") ?? (Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath());
        var agent = new List<double>();
        var agentCpu = new List<double>();
        var baseline = new List<double>();
        await using (var bench = await AgentBench.StartAsync(root))
        {
            output.Write("isolation_cgroups", bench.Agent.IsolationWarning is null ? 1 : 0, "bool");
            await bench.RunBatchAsync(100, "warmup");
            Baseline(100);
            for (var round = 0; round < 3; round++)
            {
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                agent.Add(await bench.RunBatchAsync(Tasks, "r" + round.ToString(CultureInfo.InvariantCulture)));
                agentCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / Tasks);
                baseline.Add(Baseline(Tasks));
            }
        }
        var tasksPerSec = Measure.Median(agent);
        var baselinePerSec = Measure.Median(baseline);
        output.Write("tasks_per_sec", tasksPerSec, "tasks/s");
        output.Write("baseline_per_sec", baselinePerSec, "procs/s");
        output.Write("ratio_vs_baseline", tasksPerSec / baselinePerSec, "ratio");
        // The agent's own cpu per task (this process: agent, master double, transport), not its tasks' processes.
        output.Write("agent_cpu_ms_per_task", Measure.Median(agentCpu), "ms");

        if (Path.GetFullPath(root) != Path.GetFullPath(Path.GetTempPath()))
        {
            await using var disk = await AgentBench.StartAsync(Path.GetTempPath());
            await disk.RunBatchAsync(100, "warmup");
            output.Write("disk_tasks_per_sec", await disk.RunBatchAsync(Tasks, "disk"), "tasks/s");
        }
    }

    /// <summary>Processes per second that xargs starts with one worker per core.</summary>
    private static double Baseline(int count)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"seq {count} | xargs -P {Environment.ProcessorCount} -n 1 /bin/true" },
            UseShellExecute = false,
        };
        var timer = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.WaitForExit();
        return count / timer.Elapsed.TotalSeconds;
    }

    /// <summary>An agent plus a master double that acknowledges every update and counts terminal ones.</summary>
    private sealed class AgentBench : IAsyncDisposable
    {
        private readonly IConnectionListener _listener;
        private readonly Task _accept;
        private readonly TaskCompletionSource<IMessageConnection> _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining;

        private readonly string _workDir;

        private AgentBench(IConnectionListener listener, AgentRuntime agent, string workDir)
        {
            _listener = listener;
            Agent = agent;
            _workDir = workDir;
            _accept = Task.Run(AcceptAsync);
        }

        public AgentRuntime Agent { get; }

        public static async Task<AgentBench> StartAsync(string root)
        {
            var workDir = Path.Combine(root, "dcos-bench-agent-" + Guid.NewGuid().ToString("N")[..8]);
            var transport = DcOsTransports.CreateInMemory();
            var endPoint = new InMemoryEndPoint("bench-master");
            var listener = await transport.ListenAsync(endPoint);
            var options = new AgentOptions
            {
                MasterEndPoint = endPoint,
                WorkDir = workDir,
                Cpus = 1_000,
                MemMb = 1_000_000,
                DiskMb = 1_000,
                Gpus = 0,
                KillTasksOnShutdown = true,
                CgroupsEnableCfsQuota = Environment.GetEnvironmentVariable("DCOS_BENCH_CFS") != "0",
                // DCOS_BENCH_ISOLATION=None measures the agent without cgroups (default: Auto, cgroups where writable).
                Isolation = Enum.TryParse<AgentIsolation>(Environment.GetEnvironmentVariable("DCOS_BENCH_ISOLATION"), out var isolation) ? isolation : AgentIsolation.Auto,
            };
            var agent = new AgentRuntime(options, transport, TimeProvider.System, NullLoggerFactory.Instance);
            var bench = new AgentBench(listener, agent, workDir);
            await agent.StartAsync();
            await agent.WaitUntilRegisteredAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return bench;
        }

        /// <summary>Launches <paramref name="count"/> tasks at once; tasks per second until every terminal update arrived.</summary>
        public async Task<double> RunBatchAsync(int count, string prefix)
        {
            var master = await _registered.Task;
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _remaining, count);
            var framework = new FrameworkId("bench");
            var timer = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                await master.SendAsync(new RunTask
                {
                    FrameworkId = framework,
                    Task = new TaskSpec
                    {
                        Id = new TaskId(prefix + "-" + i.ToString(CultureInfo.InvariantCulture)),
                        Command = CommandSpec.FromArgv("/bin/true"),
                        Resources = Resources.FromScalars(cpus: 0.1, memMb: 32),
                    },
                });
            }
            await _done.Task.WaitAsync(TimeSpan.FromMinutes(5));
            return count / timer.Elapsed.TotalSeconds;
        }

        private async Task AcceptAsync()
        {
            while (await _listener.AcceptAsync() is { } connection)
            {
                connection.Start(MessageHandler.Create(async context =>
                {
                    var c = context.Connection;
                    switch (context.Body)
                    {
                        case RegisterAgent or ReregisterAgent:
                            await context.ReplyAsync(new AgentRegistered { AgentId = AgentId.New() });
                            _registered.TrySetResult(c);
                            break;
                        case StatusUpdate { Status: { } status } update:
                            c.TrySend(new StatusUpdateAck { FrameworkId = update.FrameworkId, AgentId = status.AgentId, TaskId = status.TaskId, UpdateId = status.UpdateId });
                            if (status.State.IsTerminal())
                            {
                                if (status.State != TaskState.Finished) throw new InvalidOperationException($"task {status.TaskId} is {status.State}: {status.Message}");
                                if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult();
                            }
                            break;
                    }
                }));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Agent.StopAsync();
            await _listener.DisposeAsync();
            await _accept;
            if (Directory.Exists(_workDir)) Directory.Delete(_workDir, recursive: true);
        }
    }
}
