using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DcOs.IntegrationTests.SampleMaster;

namespace DcOs.IntegrationTests.MultiHost;

/// <summary>
/// A cluster across machines, on one machine: the sample master and three agent hosts each in its own network
/// namespace, joined by veth pairs; agents join over the namespaces' addresses with the token the master wrote, as an
/// operator would copy it. Real processes, real sockets, the real CLI (run in the master's namespace).
/// </summary>
[Collection(nameof(MultiHostTests))]
public sealed class MultiHostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Three_namespaced_agents_join_by_token_spread_an_app_and_keep_their_tasks_through_a_partition()
    {
        if (NamespaceNetwork.Unavailable() is { } why) Assert.Skip(why);
        using var net = NamespaceNetwork.Create(agents: 3);
        var root = Directory.CreateTempSubdirectory("dcos-multihost-");
        var logs = new Dictionary<string, StringBuilder>();
        var processes = new List<Process>();
        StringBuilder Log(string name) => logs[name] = new StringBuilder();
        string Logs() => string.Join("\n", logs.Select(kv => $"--- {kv.Key} ---\n{Tail(kv.Value)}"));
        try
        {
            var clock = Stopwatch.StartNew();
            var dataDir = Path.Combine(root.FullName, "master");
            var masterLog = Log("master");
            processes.Add(NamespaceNetwork.Start(net.Master, [SampleCluster.Program("DcOs.SampleMaster"), "--listen", $"{net.MasterAddress}:5050", "--http-port", "5080",
                "--data-dir", dataDir, "--DcOs:Engine:AgentPingTimeout", "00:00:01", "--DcOs:Engine:MaxAgentPingTimeouts", "3"], masterLog));
            await Until(() => Text(masterLog).Contains("dcos: agents join with: ", StringComparison.Ordinal), "the master to start and print the join command", Logs);
            Assert.Contains($"--master {net.MasterAddress}:5050 --token-file", Text(masterLog));
            var admin = File.ReadAllText(Path.Combine(dataDir, "admin.token")).Trim();

            // Each "machine" gets its own copy of the join token, as an operator copies it. Agent 2 is given a list of
            // masters whose first is down (nothing listens on 5051): it goes on to the next.
            for (var i = 1; i <= 3; i++)
            {
                var machine = Directory.CreateDirectory(Path.Combine(root.FullName, $"agent-{i}")).FullName;
                File.Copy(Path.Combine(dataDir, "join.token"), Path.Combine(machine, "join.token"));
                var masters = i == 2 ? $"{net.MasterAddress}:5051,{net.MasterAddress}:5050" : $"{net.MasterAddress}:5050";
                processes.Add(NamespaceNetwork.Start(net.Agent(i), [SampleCluster.Program("DcOs.AgentHost"), "--master", masters,
                    "--token-file", Path.Combine(machine, "join.token"), "--work-dir", Path.Combine(machine, "work"), "--hostname", $"agent-{i}",
                    "--cpus", "1", "--mem", "512", "--ports", "31000-31099", "--kill-tasks-on-shutdown", "true"], Log($"agent-{i}")));
            }
            async Task<JsonElement> Cli(params string[] args)
            {
                var output = new StringBuilder();
                using var cli = NamespaceNetwork.Start(net.Master, [SampleCluster.Program("DcOs.Cli"), "--json", .. args], output, new Dictionary<string, string>
                {
                    ["DCOS_MASTER"] = "http://127.0.0.1:5080",
                    ["DCOS_TOKEN"] = admin,
                    ["DCOS_DIR"] = Path.Combine(root.FullName, "cli"),
                });
                await cli.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
                Assert.True(cli.ExitCode == 0, $"dcos {string.Join(' ', args)} failed ({cli.ExitCode}): {output}");
                using var doc = JsonDocument.Parse(Text(output));
                return doc.RootElement.Clone();
            }
            await Until(async () => (await Cli("node", "list")).EnumerateArray().Count(a => a.GetProperty("status").GetString() == "Active") == 3, "three active agents", Logs);
            var joined = clock.Elapsed;

            // A machine with a token of another cluster is refused and logged on both sides.
            var rogueLog = Log("rogue");
            var forged = Path.Combine(root.FullName, "forged.token");
            File.WriteAllText(forged, "dcos1:join:" + Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
            using (var rogue = NamespaceNetwork.Start(net.Agent(3), [SampleCluster.Program("DcOs.AgentHost"), "--master", $"{net.MasterAddress}:5050",
                       "--token-file", forged, "--work-dir", Path.Combine(root.FullName, "rogue"), "--hostname", "rogue"], rogueLog))
            {
                await Until(() => Text(rogueLog).Contains("could not prove it holds", StringComparison.Ordinal), "the rogue agent to be refused", Logs);
                rogue.Kill(entireProcessTree: true);
                await rogue.WaitForExitAsync();
            }
            // Each refusal is one warning on each side: the master's names the principal, the agent's says why. The agent
            // retries until it is killed, so the master may have refused one more attempt whose answer it never logged.
            var refusals = Warnings(rogueLog, "could not prove it holds");
            Assert.True(refusals > 0);
            Assert.InRange(Warnings(masterLog, "authentication failed for principal 'join'"), refusals, refusals + 1);
            Assert.DoesNotContain((await Cli("node", "list")).EnumerateArray(), a => a.GetProperty("hostname").GetString() == "rogue");

            // hostname UNIQUE spreads three instances over the three machines.
            var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
            var appFile = Path.Combine(root.FullName, "spread.json");
            File.WriteAllText(appFile, $$"""{"id": "/spread", "cmd": "exec sleep {{marker}}", "cpus": 0.1, "mem": 32, "instances": 3, "constraints": [["hostname", "UNIQUE"]]}""");
            await Cli("app", "add", appFile, "--no-wait");
            await Until(async () => (await Cli("task", "list")).EnumerateArray().Count(t => t.GetProperty("state").GetString() == "TASK_RUNNING") == 3, "three running tasks", Logs);
            var tasks = (await Cli("task", "list")).EnumerateArray().ToList();
            Assert.Equal(["agent-1", "agent-2", "agent-3"], tasks.Select(t => t.GetProperty("hostname").GetString()).Order(StringComparer.Ordinal));
            var pids = Sleeping(marker);
            Assert.Equal(3, pids.Count);

            // Cutting agent-3's link makes its task unreachable; healing brings it back, the same process.
            net.SetAgentLink(3, up: false);
            await Until(async () => (await Cli("task", "list")).EnumerateArray().Any(t => t.GetProperty("hostname").GetString() == "agent-3" && t.GetProperty("state").GetString() == "TASK_UNREACHABLE"),
                "agent-3's task to be unreachable", Logs);
            net.SetAgentLink(3, up: true);
            await Until(async () => (await Cli("task", "list")).EnumerateArray().Count(t => t.GetProperty("state").GetString() == "TASK_RUNNING") == 3, "the three tasks running again", Logs);
            Assert.Equal(pids, Sleeping(marker));
            TestContext.Current.SendDiagnosticMessage($"multi-host: three namespaced agents joined in {joined.TotalSeconds:0.0} s from the master's start");
        }
        finally
        {
            foreach (var p in Enumerable.Reverse(processes)) Stop(p);
            foreach (var p in processes) p.Dispose();
            try
            {
                root.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// How many times <paramref name="message"/> was logged, each asserted to be a warning (the console logger writes a
    /// "warn: category" line before the message's own).
    /// </summary>
    private static int Warnings(StringBuilder log, string message)
    {
        var lines = Text(log).Split('\n');
        var count = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].Contains(message, StringComparison.Ordinal)) continue;
            Assert.True(i > 0 && lines[i - 1].StartsWith("warn: ", StringComparison.Ordinal), $"'{message}' is not logged as a warning:\n{(i > 0 ? lines[i - 1] : "")}\n{lines[i]}");
            count++;
        }
        return count;
    }

    private static string Text(StringBuilder log)
    {
        lock (log) return log.ToString();
    }

    private static string Tail(StringBuilder log)
    {
        var text = Text(log);
        return text.Length > 4000 ? text[^4000..] : text;
    }

    /// <summary>SIGTERM (agents kill their tasks), then SIGKILL of the tree if that does not end it.</summary>
    private static void Stop(Process process)
    {
        try
        {
            if (process.HasExited) return;
            _ = Posix.Kill(process.Id, Posix.SigTerm);
            if (!process.WaitForExit(TimeSpan.FromSeconds(20))) process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static List<int> Sleeping(string marker) => ProcessTable.Sleeping(marker);

    /// <summary>Polls other processes' state (they raise no event this test can await), bounded by <see cref="Patience"/>.</summary>
    private static async Task Until(Func<Task<bool>> condition, string what, Func<string> logs)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > Patience) throw new TimeoutException($"timed out after {Patience.TotalSeconds:0} s waiting for {what}\n{logs()}");
            await Task.Delay(250);
        }
    }

    private static Task Until(Func<bool> condition, string what, Func<string> logs) => Until(() => Task.FromResult(condition()), what, logs);
}
