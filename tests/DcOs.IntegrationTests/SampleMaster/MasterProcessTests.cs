using System.Diagnostics;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>The sample master as a process among others: one per data dir, and its local agents die with it.</summary>
public sealed class MasterProcessTests
{
    private static List<int> Sleeping(string marker) => ProcessTable.Sleeping(marker);

    /// <summary>Agent hosts whose argv names <paramref name="workDirs"/> (not the task wrappers, whose argv names their sandboxes).</summary>
    private static List<int> ProcessesWith(string workDirs) => ProcessTable.Matching(argv =>
        argv.Any(a => a.EndsWith("DcOs.AgentHost.dll", StringComparison.Ordinal)) && string.Join(' ', argv).Contains(workDirs, StringComparison.Ordinal));

    [Fact]
    public async Task A_second_master_on_the_same_data_dir_refuses_to_start_naming_the_first()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("Linux processes");
        await using var cluster = await SampleCluster.StartAsync(localAgents: 0);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { SampleCluster.Program("DcOs.SampleMaster"), "--http-port", "0", "--master-port", "0", "--data-dir", cluster.DataDir })
            info.ArgumentList.Add(a);

        using var second = Process.Start(info)!;
        var stderr = second.StandardError.ReadToEndAsync();
        _ = second.StandardOutput.ReadToEndAsync();
        await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("is in use by the master with pid", await stderr);
        // The first one is untouched.
        Assert.Equal("[]", (await cluster.Http.GetStringAsync("api/apps")).Trim());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_restarted_master_keeps_every_task_same_pids_and_a_killed_one_leaves_no_orphan_agent(bool sigkill)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("Linux processes");
        await using var cluster = await SampleCluster.StartAsync(localAgents: 2);
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        var app = $$"""{"id": "/keep", "cmd": "exec sleep {{marker}}", "cpus": 0.1, "mem": 32, "instances": 3}""";
        using (var created = await cluster.Http.PostAsync("api/apps", new StringContent(app, System.Text.Encoding.UTF8, "application/json")))
            Assert.True(created.IsSuccessStatusCode);
        await cluster.EventuallyAsync(() => Task.FromResult(Sleeping(marker).Count == 3), TimeSpan.FromSeconds(60), "3 tasks");
        var pids = Sleeping(marker);
        var agents = Path.Combine(cluster.DataDir, "agents");

        if (sigkill) cluster.KillMaster();
        else await cluster.StopAsync();

        // However the master ended, its agents stop with it (no orphan agent); their tasks go on, for the next start.
        var deadline = Stopwatch.StartNew();
        while (ProcessesWith(agents).Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(200);
        Assert.Empty(ProcessesWith(agents));
        Assert.Equal(pids, Sleeping(marker));

        // The next start recovers them: the same three processes, no second set.
        await using var again = await SampleCluster.StartOnAsync(cluster.DataDir, localAgents: 2);
        await again.EventuallyAsync(async () => (await again.GetAsync("api/apps/keep")).GetProperty("tasksRunning").GetInt32() == 3, TimeSpan.FromSeconds(90), "the 3 tasks re-adopted");
        Assert.Equal(pids, Sleeping(marker));
        var ids = (await again.GetAsync("api/tasks")).EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
        Assert.Equal(3, ids.Count);
    }

    /// <summary>
    /// 20 kill -9 restarts of the master at random moments, several during launches (the first while the app's 60
    /// instances start, every other one just after ten of them were killed and are being replaced): a process table
    /// sampled every 100 ms never shows more than 60 instances, and the end state is exactly 60 processes, the 60 tasks
    /// the API reports. A restarted framework knows what it stored before launching and reconciles it by id, so it never
    /// starts a second set.
    /// </summary>
    [Fact]
    public async Task Twenty_kill_9_restarts_at_random_moments_with_60_instances_never_launch_one_twice()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("Linux processes");
        const int Instances = 60;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        TestContext.Current.SendDiagnosticMessage($"seed {seed}");
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        // The local agents share this machine's cpus (2 on CI: two thirds each), so 60 instances of 0.01 fit with room.
        var app = $$"""{"id": "/many", "cmd": "exec sleep {{marker}}", "cpus": 0.01, "mem": 16, "instances": {{Instances}}}""";

        var most = 0;
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                most = Math.Max(most, Sleeping(marker).Count);
                await Task.Delay(100);
            }
        });

        var clusters = new List<SampleCluster>();
        try
        {
            var first = await SampleCluster.StartAsync(localAgents: 3);
            clusters.Add(first);
            var agents = Path.Combine(first.DataDir, "agents");
            using (var created = await first.Http.PostAsync("api/apps", new StringContent(app, System.Text.Encoding.UTF8, "application/json")))
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            for (var restart = 0; restart < 20; restart++)
            {
                var cluster = clusters[^1];
                if (restart > 0 && restart % 2 == 0)
                {
                    // Ten instances die: their replacements are being launched when the master is killed.
                    foreach (var pid in Sleeping(marker).OrderBy(_ => random.Next()).Take(10)) _ = Posix.Kill(pid, 9);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(restart == 0 ? random.Next(200, 2000) : random.Next(0, 1500)));
                cluster.KillMaster();
                var stopped = Stopwatch.StartNew();
                while (ProcessesWith(agents).Count > 0 && stopped.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
                Assert.Empty(ProcessesWith(agents));
                Assert.True(most <= Instances, $"restart {restart} (seed {seed}): {most} instance processes at once, more than {Instances}");
                clusters.Add(await SampleCluster.StartOnAsync(first.DataDir, localAgents: 3));
            }

            var last = clusters[^1];
            await last.EventuallyAsync(async () => (await last.GetAsync("api/apps/many")).GetProperty("tasksRunning").GetInt32() == Instances && Sleeping(marker).Count == Instances,
                TimeSpan.FromSeconds(120), $"{Instances} instances running");
            var tasks = (await last.GetAsync("api/tasks")).EnumerateArray().Where(t => t.GetProperty("state").GetString() == "TASK_RUNNING").Select(t => t.GetProperty("id").GetString()).ToList();
            Assert.Equal(Instances, tasks.Distinct().Count());
            Assert.Equal(Instances, Sleeping(marker).Count);
            Assert.True(most <= Instances, $"seed {seed}: {most} instance processes at once, more than {Instances}");
        }
        finally
        {
            await stopSampling.CancelAsync();
            await sampler;
            // The first owns the data dir (deleted last); every one ends what it started.
            for (var i = clusters.Count - 1; i >= 0; i--) await clusters[i].DisposeAsync();
        }
    }
}
