using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DcOs.Benchmarks.Agent;
using DcOs.Benchmarks.Quick;

namespace DcOs.Benchmarks.Frameworks;

/// <summary>
/// <c>quick frameworks</c>: the services and jobs frameworks as a user drives them, through the real sample master
/// (its HTTP API) and its local agent (a real process running real tasks, 2 cpus here). <c>job_runs_per_sec</c>: 1,000
/// runs of <c>/bin/true</c> (0.1 cpu each, so at most 20 at once) asked for as fast as the API takes them, from the
/// first request until the job counts all of them succeeded; three rounds after a warm-up of 200, the median.
/// <c>instances_1000_s</c>: an app of 1,000 <c>sleep</c> instances (0.001 cpu, 1 MiB), from its creation until 1,000
/// real processes run. In the same run, <c>quick agent</c>'s tasks/s (the agent alone, with a master double, 1,000
/// tasks at once; also three rounds after a warm-up): <c>job_runs_ratio_vs_agent</c> is how much of the agent's own
/// rate a framework gets through the master.
/// </summary>
/// <remarks>
/// Measured as <c>quick agent</c> is, so the ratio compares like with like: the master's data directory (its SQLite
/// files and its local agent's sandboxes) is on the same file system (tmpfs at /dev/shm when there is one, or
/// DCOS_BENCH_WORKDIR), and a long-running master is what users have, so the JIT's warm-up of a freshly started process
/// is left out of the rounds the same way. <c>job_runs_cold_per_sec</c> is the warm-up itself: the first 200 runs of a
/// master just started. <c>master_cpu_ms_per_run</c> is the sample master's own cpu per run (master, frameworks, API,
/// SQLite; not the agent or the tasks), median over the rounds.
/// </remarks>
public sealed class FrameworksQuickSuite : IQuickSuite
{
    private const int Runs = 1_000;
    private const int WarmUpRuns = 200;
    private const int Rounds = 3;
    private const int Instances = 1_000;

    public string Name => "frameworks";

    public async Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        var agentText = new StringWriter();
        await new AgentQuickSuite().RunAsync(new MetricWriter(agentText, "agent"), cancellationToken);
        var agentRate = agentText.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .First(m => m.GetProperty("metric").GetString() == "tasks_per_sec").GetProperty("value").GetDouble();

        var workRoot = Environment.GetEnvironmentVariable("DCOS_BENCH_WORKDIR") ?? (Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath());
        var root = Directory.CreateDirectory(Path.Combine(workRoot, "dcos-bench-frameworks-" + Guid.NewGuid().ToString("N")[..8]));
        var master = await SampleMaster.StartAsync(root.FullName, cancellationToken);
        try
        {
            (await master.Http.PostAsync("api/jobs", Json("""{"id": "bench", "run": {"cmd": "/bin/true", "cpus": 0.1, "mem": 16}}"""), cancellationToken)).EnsureSuccessStatusCode();
            var done = 0;
            output.Write("job_runs_cold_per_sec", await JobRunsAsync(master.Http, WarmUpRuns, done, cancellationToken), "runs/s");
            done += WarmUpRuns;
            var rates = new List<double>();
            var cpu = new List<double>();
            for (var round = 0; round < Rounds; round++)
            {
                var cpuBefore = master.CpuTime;
                rates.Add(await JobRunsAsync(master.Http, Runs, done, cancellationToken));
                cpu.Add((master.CpuTime - cpuBefore).TotalMilliseconds / Runs);
                done += Runs;
            }
            var runRate = Measure.Median(rates);
            output.Write("job_runs_per_sec", runRate, "runs/s");
            output.Write("agent_tasks_per_sec", agentRate, "tasks/s");
            output.Write("job_runs_ratio_vs_agent", runRate / agentRate, "ratio");
            output.Write("master_cpu_ms_per_run", Measure.Median(cpu), "ms");
            output.Write("instances_1000_s", await InstancesAsync(master.Http, cancellationToken), "s");
        }
        finally
        {
            master.Dispose();
            root.Delete(recursive: true);
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Asks for <paramref name="runs"/> runs of the job; runs per second until all of them succeeded (<paramref name="before"/> had already).</summary>
    private static async Task<double> JobRunsAsync(HttpClient http, int runs, int before, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++) (await http.PostAsync("api/jobs/bench/run", null, cancellationToken)).EnsureSuccessStatusCode();
        while (true)
        {
            // The history keeps the latest runs only; the job's counts cover them all.
            using var jobs = JsonDocument.Parse(await http.GetStringAsync("api/jobs", cancellationToken));
            var job = jobs.RootElement.EnumerateArray().Single(j => j.GetProperty("id").GetString() == "bench");
            if (job.GetProperty("failureCount").GetInt64() > 0) throw new InvalidOperationException("a run failed: " + job.GetProperty("lastRun"));
            var succeeded = job.GetProperty("successCount").GetInt64() - before;
            if (succeeded >= runs) return runs / clock.Elapsed.TotalSeconds;
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"{succeeded} of {runs} runs succeeded in 5 minutes");
            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<double> InstancesAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        var clock = Stopwatch.StartNew();
        (await http.PostAsync("api/apps", Json($$"""{"id": "/many", "cmd": "exec sleep {{marker}}", "cpus": 0.001, "mem": 1, "instances": {{Instances}}}"""), cancellationToken)).EnsureSuccessStatusCode();
        while (Sleeping(marker) < Instances)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"{Sleeping(marker)} of {Instances} instances in 5 minutes");
            await Task.Delay(50, cancellationToken);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        // Removed, and gone before the master stops: a stopping master's local agent leaves its tasks running.
        (await http.DeleteAsync("api/apps/many", cancellationToken)).EnsureSuccessStatusCode();
        var removing = Stopwatch.StartNew();
        while (Sleeping(marker) > 0 && removing.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(100, cancellationToken);
        return elapsed;
    }

    /// <summary>Processes whose command line is exactly <c>sleep &lt;marker&gt;</c>.</summary>
    private static int Sleeping(string marker)
    {
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")) == $"sleep\0{marker}\0") count++;
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return count;
    }

    /// <summary>The sample master as a user starts it, with one local agent, on loopback ports from the OS.</summary>
    private sealed class SampleMaster : IDisposable
    {
        private readonly Process _process;

        private SampleMaster(Process process, HttpClient http)
        {
            _process = process;
            Http = http;
        }

        public HttpClient Http { get; }

        /// <summary>The sample master process's own cpu time (its local agent is a process of its own).</summary>
        public TimeSpan CpuTime
        {
            get
            {
                _process.Refresh();
                return _process.TotalProcessorTime;
            }
        }

        public static async Task<SampleMaster> StartAsync(string dataDir, CancellationToken cancellationToken)
        {
            using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { SamplePrograms.Path("DcOs.SampleMaster"), "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--master-port", "0", "--data-dir", dataDir, "--local-agents", "1" })
                info.ArgumentList.Add(a);
            var process = Process.Start(info)!;
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new StringBuilder();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (log) log.AppendLine(e.Data);
                if (e.Data.StartsWith("dcos: api ", StringComparison.Ordinal)) ready.TrySetResult();
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (log) log.AppendLine(e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(60), cancellationToken)) != ready.Task)
            {
                process.Kill(entireProcessTree: true);
                lock (log) throw new InvalidOperationException("the sample master did not start:\n" + log);
            }
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(dataDir, "admin.token")).Trim());
            var clock = Stopwatch.StartNew();
            while (!(await http.GetStringAsync("api/agents", cancellationToken)).Contains("\"Active\"", StringComparison.Ordinal))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the local agent did not become active");
                await Task.Delay(100, cancellationToken);
            }
            return new SampleMaster(process, http);
        }

        public void Dispose()
        {
            Http.Dispose();
            if (!_process.HasExited)
            {
                // SIGTERM: the master stops its local agent, which kills its tasks.
                using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                term.WaitForExit();
                if (!_process.WaitForExit(TimeSpan.FromSeconds(30))) _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }
    }
}
