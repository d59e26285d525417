using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DcOs.Benchmarks.Quick;
using DcOs.IntegrationTests.MultiHost;

namespace DcOs.Benchmarks.Cluster;

/// <summary>
/// <c>quick cluster</c>: a cluster in minutes, measured the way an operator sees it. The sample master and three agent
/// hosts, each in its own network namespace (veth links; root needed), started as an operator starts them: from the
/// master's first command, <c>join_seconds</c> until the three agents are active (they join with the master's token)
/// and <c>first_tasks_seconds</c> until an app of three instances (hostname UNIQUE) runs one task on each, both polled
/// through the real CLI in the master's namespace. Three rounds, medians. Prints nothing but a note on stderr where
/// namespaces cannot be made.
/// </summary>
public sealed class ClusterQuickSuite : IQuickSuite
{
    public string Name => "cluster";

    public async Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        if (NamespaceNetwork.Unavailable() is { } why)
        {
            await Console.Error.WriteLineAsync("quick cluster: skipped: " + why);
            return;
        }
        var join = new List<double>();
        var tasks = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            var (j, t) = await RoundAsync(cancellationToken);
            join.Add(j);
            tasks.Add(t);
        }
        output.Write("join_seconds", Measure.Median(join), "s");
        output.Write("first_tasks_seconds", Measure.Median(tasks), "s");
    }

    private static async Task<(double Join, double Tasks)> RoundAsync(CancellationToken cancellationToken)
    {
        using var net = NamespaceNetwork.Create(agents: 3);
        var root = Directory.CreateTempSubdirectory("dcos-bench-cluster-");
        var processes = new List<Process>();
        try
        {
            var clock = Stopwatch.StartNew();
            var data = Path.Combine(root.FullName, "master");
            var log = new StringBuilder();
            processes.Add(NamespaceNetwork.Start(net.Master, [SamplePrograms.Path("DcOs.SampleMaster"), "--listen", $"{net.MasterAddress}:5050", "--http-port", "5080", "--data-dir", data], log));
            while (!File.Exists(Path.Combine(data, "join.token")) || !File.Exists(Path.Combine(data, "admin.token"))) await Task.Delay(50, cancellationToken);
            for (var i = 1; i <= 3; i++)
            {
                processes.Add(NamespaceNetwork.Start(net.Agent(i), [SamplePrograms.Path("DcOs.AgentHost"), "--master", $"{net.MasterAddress}:5050", "--token-file", Path.Combine(data, "join.token"),
                    "--work-dir", Path.Combine(root.FullName, $"agent-{i}"), "--hostname", $"agent-{i}", "--cpus", "1", "--mem", "512", "--kill-tasks-on-shutdown", "true"], new StringBuilder()));
            }
            var admin = File.ReadAllText(Path.Combine(data, "admin.token")).Trim();
            async Task<JsonElement?> Cli(params string[] args)
            {
                var output = new StringBuilder();
                using var cli = NamespaceNetwork.Start(net.Master, [SamplePrograms.Path("DcOs.Cli"), "--json", .. args], output, new Dictionary<string, string>
                {
                    ["DCOS_MASTER"] = "http://127.0.0.1:5080", ["DCOS_TOKEN"] = admin, ["DCOS_DIR"] = Path.Combine(root.FullName, "cli"),
                });
                await cli.WaitForExitAsync(cancellationToken);
                if (cli.ExitCode != 0) return null;
                lock (output) return JsonDocument.Parse(output.ToString()).RootElement.Clone();
            }
            while ((await Cli("node", "list"))?.EnumerateArray().Count(a => a.GetProperty("status").GetString() == "Active") != 3) Check(clock, log);
            var joined = clock.Elapsed.TotalSeconds;
            var app = Path.Combine(root.FullName, "app.json");
            File.WriteAllText(app, """{"id": "/bench", "cmd": "sleep 600", "cpus": 0.1, "mem": 32, "instances": 3, "constraints": [["hostname", "UNIQUE"]]}""");
            await Cli("app", "add", app, "--no-wait");
            while ((await Cli("task", "list"))?.EnumerateArray().Count(t => t.GetProperty("state").GetString() == "TASK_RUNNING") != 3) Check(clock, log);
            return (joined, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            // SIGTERM first: the agents kill their tasks as they stop.
            foreach (var p in Enumerable.Reverse(processes).Where(p => !p.HasExited))
            {
                using var term = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                term.WaitForExit();
            }
            foreach (var p in processes)
            {
                if (!p.WaitForExit(TimeSpan.FromSeconds(20))) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
            root.Delete(recursive: true);
        }
    }

    private static void Check(Stopwatch clock, StringBuilder log)
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(3))
        {
            lock (log) throw new TimeoutException("the cluster did not come up within 3 minutes:\n" + log);
        }
    }
}
