using System.Diagnostics;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>The sample master as a process among others: one per data dir, and its local agents die with it.</summary>
public sealed class MasterProcessTests
{
    private static List<int> Sleeping(string marker) => ProcessTable.Sleeping(marker);

    private static List<int> ProcessesWith(string marker) => ProcessTable.Matching(argv => string.Join(' ', argv).Contains(marker, StringComparison.Ordinal));

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

    [Fact]
    public async Task Killing_the_master_with_sigkill_leaves_no_orphan_agent_or_task()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("Linux processes");
        await using var cluster = await SampleCluster.StartAsync(localAgents: 2);
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        var app = $$"""{"id": "/orphan", "cmd": "exec sleep {{marker}}", "cpus": 0.1, "mem": 32, "instances": 2}""";
        using (var created = await cluster.Http.PostAsync("api/apps", new StringContent(app, System.Text.Encoding.UTF8, "application/json")))
            Assert.True(created.IsSuccessStatusCode);
        await cluster.EventuallyAsync(() => Task.FromResult(Sleeping(marker).Count == 2), TimeSpan.FromSeconds(60), "2 tasks");
        var agents = ProcessesWith(Path.Combine(cluster.DataDir, "agents"));
        Assert.NotEmpty(agents);

        cluster.KillMaster();

        // The agents notice their master is gone, stop, and (as local agents do) kill their tasks.
        var deadline = Stopwatch.StartNew();
        while ((ProcessesWith(Path.Combine(cluster.DataDir, "agents")).Count > 0 || Sleeping(marker).Count > 0) && deadline.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(200);
        Assert.Empty(Sleeping(marker));
        Assert.Empty(ProcessesWith(Path.Combine(cluster.DataDir, "agents")));
    }
}
