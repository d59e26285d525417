using System.Text.RegularExpressions;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>
/// The newcomer's path, end to end with real processes: the sample master with 3 local agents, driven through the
/// `dcos` CLI. Tasks are real `sleep` processes found in /proc by a marker only this test uses.
/// </summary>
public sealed class SampleMasterTests
{
    private static async Task<(int Code, string Out, string Err)> DcosAsync(SampleCluster cluster, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(SampleCluster.Program("DcOs.Cli"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DCOS_MASTER"] = cluster.Api.ToString().TrimEnd('/');
        info.Environment["DCOS_TOKEN"] = cluster.AdminToken;
        info.Environment["DCOS_DIR"] = Path.Combine(cluster.DataDir, "cli");
        info.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Pids of processes whose command line is exactly `sleep &lt;marker&gt;`.</summary>
    private static List<int> SleepProcesses(string marker) => ProcessTable.Sleeping(marker);

    [Fact]
    public async Task A_newcomer_runs_an_app_and_a_job_on_three_local_agents_through_the_cli()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("tasks are Linux processes found through /proc");
        await using var cluster = await SampleCluster.StartAsync(localAgents: 3);
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        var appFile = Path.Combine(cluster.DataDir, "app.json");
        await File.WriteAllTextAsync(appFile, $$"""{"id":"/e2e","cmd":"exec sleep {{marker}}","cpus":0.1,"mem":32,"instances":5}""");

        // A bad file is refused by the master's door, naming the field, and nothing is created.
        var badFile = Path.Combine(cluster.DataDir, "bad.json");
        await File.WriteAllTextAsync(badFile, """{"id":"/bad","cmd":"sleep 1","cpus":0.1,"mem":32,"instnces":3}""");
        var bad = await DcosAsync(cluster, "app", "add", badFile, "--no-wait");
        Assert.Equal(1, bad.Code);
        Assert.Equal($"error: {badFile}: instnces: is not a field; did you mean \"instances\"?", bad.Err.Trim());
        Assert.Equal("[]", (await cluster.Http.GetStringAsync("/api/apps")).Trim());

        var add = await DcosAsync(cluster, "app", "add", appFile, "--timeout", "120");
        Assert.True(add.Code == 0, $"app add failed ({add.Code}): {add.Out}{add.Err}");
        await cluster.EventuallyAsync(() => Task.FromResult(SleepProcesses(marker).Count == 5), TimeSpan.FromSeconds(60), "5 sleep processes");

        // A killed instance is replaced.
        var victim = SleepProcesses(marker)[0];
        Process.GetProcessById(victim).Kill();
        await cluster.EventuallyAsync(() => Task.FromResult(SleepProcesses(marker) is { Count: 5 } p && !p.Contains(victim)), TimeSpan.FromSeconds(60), "the killed instance to be replaced");

        // Prometheus sees what the processes show: three active agents, five running tasks, their cpus held.
        await cluster.EventuallyAsync(async () =>
        {
            var metrics = await cluster.Http.GetStringAsync("/metrics");
            return Regex.IsMatch(metrics, @"^dcos_agents\{[^}]*status=""Active""[^}]*\} 3$", RegexOptions.Multiline)
                && Regex.IsMatch(metrics, @"^dcos_tasks\{[^}]*state=""TASK_RUNNING""[^}]*\} 5$", RegexOptions.Multiline)
                && Regex.IsMatch(metrics, @"^dcos_resources_used\{[^}]*resource=""cpus""[^}]*\} 0\.5$", RegexOptions.Multiline)
                && metrics.Contains("dcos_transport_messages_received_total", StringComparison.Ordinal)
                && metrics.Contains("dcos_loop_lag", StringComparison.Ordinal)
                && metrics.Contains("dcos_allocation_duration", StringComparison.Ordinal)
                && metrics.Contains("dcos_offers_outstanding", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "the metrics to show 3 active agents and 5 running tasks");

        var scale = await DcosAsync(cluster, "app", "scale", "e2e", "2", "--timeout", "120");
        Assert.True(scale.Code == 0, $"app scale failed ({scale.Code}): {scale.Out}{scale.Err}");
        await cluster.EventuallyAsync(() => Task.FromResult(SleepProcesses(marker).Count == 2), TimeSpan.FromSeconds(60), "2 sleep processes after scaling");

        var jobFile = Path.Combine(cluster.DataDir, "job.json");
        await File.WriteAllTextAsync(jobFile, """{"id":"e2e-job","run":{"cmd":"echo finished-job","cpus":0.1,"mem":32}}""");
        Assert.Equal(0, (await DcosAsync(cluster, "job", "add", jobFile)).Code);
        Assert.Equal(0, (await DcosAsync(cluster, "job", "run", "e2e-job")).Code);
        await cluster.EventuallyAsync(async () =>
        {
            var history = await DcosAsync(cluster, "job", "history", "e2e-job", "--json");
            if (history.Code != 0) return false;
            using var doc = JsonDocument.Parse(history.Out);
            return doc.RootElement.EnumerateArray().Any(r => r.GetProperty("status").GetString() == "SUCCESS" && r.GetProperty("exitCode").GetInt32() == 0);
        }, TimeSpan.FromSeconds(60), "the job run to succeed");

        var cost = await DcosAsync(cluster, "cluster", "cost", "--json");
        Assert.True(cost.Code == 0, cost.Err);
        using (var doc = JsonDocument.Parse(cost.Out))
        {
            // The bill: the three local agents are on and paid their prices ($0.10, $0.25 and $0.50 by default).
            Assert.Equal(0.85, doc.RootElement.GetProperty("totalPerHour").GetDouble(), 6);
            Assert.Equal(3, doc.RootElement.GetProperty("byAgent").GetArrayLength());
            Assert.Contains(doc.RootElement.GetProperty("byApp").EnumerateArray(), a => a.GetProperty("appId").GetString() == "/e2e");
        }
        var costTable = await DcosAsync(cluster, "cluster", "cost");
        Assert.Equal(0, costTable.Code);

        var remove = await DcosAsync(cluster, "app", "remove", "e2e");
        Assert.True(remove.Code == 0, remove.Err);
        await cluster.EventuallyAsync(() => Task.FromResult(SleepProcesses(marker).Count == 0), TimeSpan.FromSeconds(60), "no sleep process left after removing the app");
    }

    [Fact]
    public async Task Bad_definitions_get_400_naming_the_field_and_the_cluster_keeps_launching_other_apps()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("real processes");
        await using var cluster = await SampleCluster.StartAsync(localAgents: 1);
        // The inputs that used to be accepted and then wedge the framework or fail every launch.
        (string Path, string Body, string Field)[] bad =
        [
            ("api/apps", """{"id": "/huge", "cmd": "sleep 1", "cpus": 1e300}""", "cpus"),
            ("api/apps", "{\"id\": \"/" + new string('a', 190) + "\", \"cmd\": \"sleep 1\"}", "id"),
            ("api/apps", """{"id": "/grace", "cmd": "sleep 1", "killGracePeriodSeconds": 1e300}""", "killGracePeriodSeconds"),
            ("api/apps", """{"id": "/tiny", "cmd": "sleep 1", "cpus": 0.0001}""", "cpus"),
            ("api/apps", """{"id": "/hc", "cmd": "sleep 1", "ports": [0], "healthChecks": [{"protocol": "TCP", "timeoutSeconds": 9e11}]}""", "healthChecks[0].timeoutSeconds"),
            ("api/apps", """{"id": "/backoff", "cmd": "sleep 1", "backoffSeconds": 1e300}""", "backoffSeconds"),
            ("api/apps", """{"id": "/SLEEP", "cmd": "sleep 1"}""", "id"),
            ("api/apps", "{\"id\": \"/long-cmd\", \"cmd\": \"" + new string('x', 300_000) + "\"}", "cmd"),
            ("api/jobs", "{\"id\": \"" + new string('j', 195) + "\", \"run\": {\"cmd\": \"true\"}}", "id"),
            ("api/jobs", """{"id": "/a/b", "run": {"cmd": "true"}}""", "id"),
        ];
        foreach (var (path, body, field) in bad)
        {
            using var answer = await cluster.Http.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            var text = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == System.Net.HttpStatusCode.BadRequest, $"{field}: {(int)answer.StatusCode} {text}");
            Assert.StartsWith(field + ":", JsonDocument.Parse(text).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(0, (await cluster.GetAsync("api/apps")).GetArrayLength());
        Assert.Equal(0, (await cluster.GetAsync("api/jobs")).GetArrayLength());

        // Nothing of them stands in the way: a good app runs.
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        using (var created = await cluster.Http.PostAsync("api/apps", new StringContent($$"""{"id": "/good", "cmd": "exec sleep {{marker}}", "cpus": 0.1, "mem": 32, "instances": 2}""", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await cluster.EventuallyAsync(() => Task.FromResult(SleepProcesses(marker).Count == 2), TimeSpan.FromSeconds(60), "the good app's 2 tasks");
    }

    [Fact]
    public async Task An_agent_that_hangs_has_its_instances_replaced_and_their_old_copies_killed_when_it_returns()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("real processes and signals");
        await using var cluster = await SampleCluster.StartAsync(3, "--DcOs:Engine:AgentPingTimeout", "00:00:01", "--DcOs:Engine:MaxAgentPingTimeouts", "2");
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        var app = $$$"""{"id": "/resilient", "cmd": "exec sleep {{{marker}}}", "cpus": 0.1, "mem": 32, "instances": 2, "constraints": [["hostname", "UNIQUE"]], "unreachableStrategy": {"inactiveAfterSeconds": 2, "expungeAfterSeconds": 5}}""";
        using (var created = await cluster.Http.PostAsync("api/apps", new StringContent(app, System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await cluster.EventuallyAsync(() => Task.FromResult(SleepProcesses(marker).Count == 2), TimeSpan.FromSeconds(60), "2 instances");
        var first = (await cluster.GetAsync("api/apps/resilient")).GetProperty("tasks").EnumerateArray().First();
        var host = first.GetProperty("host").GetString()!;
        var agentDir = Path.Combine(cluster.DataDir, "agents", "agent-" + host["local-agent-".Length..]);
        var agentPid = Assert.Single(ProcessTable.Matching(argv => argv.Contains(agentDir)));
        var oldCopy = SleepProcesses(marker).Single(pid => File.ReadAllText($"/proc/{pid}/environ").Contains(first.GetProperty("id").GetString()!, StringComparison.Ordinal));

        // The agent hangs: its instance is unreachable, then replaced on the third agent, while the old copy still runs.
        Assert.Equal(0, Posix.Kill(agentPid, Posix.SigStop));
        try
        {
            await cluster.EventuallyAsync(() => Task.FromResult(SleepProcesses(marker).Count == 3), TimeSpan.FromSeconds(60), "a replacement beside the old copy");
            Assert.Contains(oldCopy, SleepProcesses(marker));
            var during = await cluster.GetAsync("api/apps/resilient");
            Assert.Equal(1, during.GetProperty("tasksUnreachable").GetInt32());
            Assert.Contains("unreachable", during.GetProperty("message").GetString());
            // Past expungeAfterSeconds the old copy is given up on.
            await cluster.EventuallyAsync(async () => (await cluster.GetAsync("api/apps/resilient")).GetProperty("tasksUnreachable").GetInt32() == 0, TimeSpan.FromSeconds(60), "the old copy to be expunged");
        }
        finally
        {
            Assert.Equal(0, Posix.Kill(agentPid, Posix.SigCont));
        }

        // It comes back: the old copy is killed, and exactly two instances run.
        await cluster.EventuallyAsync(() => Task.FromResult(!SleepProcesses(marker).Contains(oldCopy)), TimeSpan.FromSeconds(90), "the old copy to be killed");
        await cluster.EventuallyAsync(async () => SleepProcesses(marker).Count == 2 && (await cluster.GetAsync("api/apps/resilient")).GetProperty("tasksRunning").GetInt32() == 2,
            TimeSpan.FromSeconds(60), "exactly two instances");
    }

    [Fact]
    public async Task The_cli_says_clearly_when_the_master_is_unreachable_or_the_app_unknown()
    {
        var unreachable = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        unreachable.ArgumentList.Add(SampleCluster.Program("DcOs.Cli"));
        foreach (var a in new[] { "--master", $"http://127.0.0.1:{SampleCluster.FreePort()}", "app", "list" }) unreachable.ArgumentList.Add(a);
        using var p = Process.Start(unreachable)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("cannot reach the master", err);
    }
}
