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
}
