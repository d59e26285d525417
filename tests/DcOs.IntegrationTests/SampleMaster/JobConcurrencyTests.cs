using System.Net;
using System.Net.Http.Json;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>Metronome's concurrency policy as a user meets it: the real sample master, a real agent, real processes.</summary>
public sealed class JobConcurrencyTests
{
    [Fact]
    public async Task A_forbid_job_never_runs_twice_at_once_and_runs_again_once_the_first_run_ended()
    {
        await using var cluster = await SampleCluster.StartAsync(1);
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        var created = await cluster.Http.PostAsync("api/jobs", JsonContent.Create(new
        {
            id = "nightly", concurrencyPolicy = "FORBID", run = new { cmd = $"exec sleep {marker}", cpus = 0.1, mem = 16 },
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var most = 0;
        async Task<bool> Watch(Func<Task<bool>> done)
        {
            most = Math.Max(most, ProcessTable.Sleeping(marker).Count);
            return await done();
        }

        Assert.True((await cluster.Http.PostAsync("api/jobs/nightly/run", null)).IsSuccessStatusCode);
        await cluster.EventuallyAsync(() => Watch(() => Task.FromResult(ProcessTable.Sleeping(marker).Count == 1)), TimeSpan.FromSeconds(60), "the first run's process");
        // Asked again while it runs: refused, and no second process appears.
        var second = await cluster.Http.PostAsync("api/jobs/nightly/run", null);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("forbids concurrent runs", await second.Content.ReadAsStringAsync());

        // The first run ends (its process is killed from outside, as a failure would end it): a new run may start.
        foreach (var pid in ProcessTable.Sleeping(marker)) _ = Posix.Kill(pid, 9);
        await cluster.EventuallyAsync(() => Watch(async () => (await cluster.Http.PostAsync("api/jobs/nightly/run", null)).IsSuccessStatusCode),
            TimeSpan.FromSeconds(60), "a new run to be accepted once the first ended");
        await cluster.EventuallyAsync(() => Watch(() => Task.FromResult(ProcessTable.Sleeping(marker).Count == 1)), TimeSpan.FromSeconds(60), "the second run's process");
        Assert.Equal(1, most);
        var history = (await cluster.GetAsync("api/jobs/nightly/history")).EnumerateArray().ToList();
        Assert.Equal(2, history.Count);
    }
}
