using System.Net.Http.Json;
using System.Text.Json;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>
/// GPUs shared by device as a user sees them: the real sample master, a real agent process listing two GPU devices, an
/// app asking for 0.6 of a GPU per instance, and the environment of the real processes it starts.
/// </summary>
public sealed class GpuPlacementTests
{
    [Fact]
    public async Task Instances_get_devices_of_their_own_when_shares_cannot_share_and_the_one_left_waits_saying_why()
    {
        await using var cluster = await SampleCluster.StartAsync(1, "--DcOs:AgentGpuDevices:0", "A100:40960,T4:15360");
        await cluster.EventuallyAsync(async () => (await cluster.GetAsync("api/agents")).GetArrayLength() == 1, TimeSpan.FromSeconds(30), "the agent");
        var agent = (await cluster.GetAsync("api/agents"))[0];
        Assert.Equal(2, agent.GetProperty("total").GetProperty("gpus").GetDouble());
        Assert.Equal(["A100", "T4"], agent.GetProperty("gpuDevices").EnumerateArray().Select(d => d.GetProperty("model").GetString()));

        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        // Three 0.6 shares are 1.8 of the agent's 2 GPUs, but no device holds two of them.
        var response = await cluster.Http.PostAsync("api/apps", JsonContent.Create(new { id = "/infer", cmd = $"exec sleep {marker}", cpus = 0.1, mem = 32, gpus = 0.6, instances = 3 }));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        await cluster.EventuallyAsync(() => Task.FromResult(ProcessTable.Sleeping(marker).Count == 2), TimeSpan.FromSeconds(60), "two instances running as two processes");
        await cluster.EventuallyAsync(async () => (await cluster.GetAsync("api/pending")).EnumerateArray().Any(p => p.GetProperty("appId").GetString() == "/infer" && p.GetProperty("waiting").GetInt32() == 1),
            TimeSpan.FromSeconds(30), "the third instance waiting");

        // Each process sees its own device, whatever it is named in the API.
        var seen = ProcessTable.Sleeping(marker).Select(pid => Environment(pid)["CUDA_VISIBLE_DEVICES"]).Order().ToArray();
        Assert.Equal(["0", "1"], seen);
        var tasks = (await cluster.GetAsync("api/tasks")).EnumerateArray().Where(t => t.GetProperty("appId").GetString() == "/infer" && t.GetProperty("state").GetString() == "TASK_RUNNING").ToList();
        Assert.Equal([0, 1], tasks.Select(t => t.GetProperty("gpuDevices")[0].GetInt32()).Order());
        var free = (await cluster.GetAsync("api/agents"))[0].GetProperty("gpuDevices").EnumerateArray().Select(d => d.GetProperty("free").GetDouble()).ToArray();
        Assert.Equal([0.4, 0.4], free);
        // Once the two run, what is offered is 0.8 of a GPU in total and 0.4 per device: the third waits for a device.
        await cluster.EventuallyAsync(async () => (await cluster.GetAsync("api/pending")).EnumerateArray().Any(p =>
            p.GetProperty("appId").GetString() == "/infer" && p.GetProperty("summary").GetString()!.Contains("of one GPU device; the most free on any device it may use is 0.4", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the third instance waiting for a GPU device");
    }

    private static Dictionary<string, string> Environment(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
}
