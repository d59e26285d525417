using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>GPUs placed per device by the master: shares of one device, named devices and models, devices freed when tasks end.</summary>
public sealed class GpuDeviceTests
{
    private static readonly GpuDevice[] TwoDevices =
    [
        new() { Index = 0, Model = "A100", MemoryMb = 40_960 },
        new() { Index = 1, Model = "T4", MemoryMb = 15_360 },
    ];

    private static TaskSpec Gpu(string id, double gpus, string? model = null, IReadOnlyList<int>? devices = null) =>
        TaskLifecycleTests.Task(id, $"cpus:0.1;mem:32;gpus:{gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)}") with { GpuModel = model, GpuDevices = devices };

    [Fact]
    public async Task Shares_go_to_devices_best_fit_and_a_share_no_device_holds_is_refused_though_the_agent_total_would()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", capabilities: FrameworkCapabilities.GpuResources);
        var agent = await h.AddAgentAsync("cpus:4;mem:1024;gpus:2", gpus: TwoDevices);
        var offer = await fw.NextOfferAsync();
        Assert.Equal([(0, 1.0), (1, 1.0)], offer.Gpus.Select(g => (g.Device.Index, g.Free)));
        Assert.Equal("T4", offer.Gpus[1].Device.Model);

        // 3 x 0.6 is 1.8 of the agent's 2 GPUs, but only two devices can hold 0.6 each.
        await fw.Driver.AcceptAsync([offer.Id], [Gpu("a", 0.6), Gpu("b", 0.6), Gpu("c", 0.6)]);
        Assert.Equal([0], (await agent.NextLaunchAsync()).Task!.GpuDevices!);
        Assert.Equal([1], (await agent.NextLaunchAsync()).Task!.GpuDevices!);
        var refused = await fw.NextUpdateAsync(new TaskId("c"));
        Assert.Equal((TaskState.Error, TaskStatusReason.InsufficientResources), (refused.State, refused.Reason));
        Assert.Contains("no GPU device", refused.Message);
        Assert.Contains("0=0.4, 1=0.4", refused.Message);

        // A 0.4 share fits the room both left; best-fit and the lowest index pick device 0.
        await h.AdvanceAsync(TimeSpan.FromSeconds(6));
        var rest = await fw.NextOfferAsync();
        Assert.Equal([0.4, 0.4], rest.Gpus.Select(g => g.Free));
        await fw.Driver.AcceptAsync([rest.Id], [Gpu("d", 0.4)]);
        var d = (await agent.NextLaunchAsync()).Task!;
        Assert.Equal([0], d.GpuDevices!);
    }

    [Fact]
    public async Task Named_devices_and_models_are_checked_against_the_agent_and_an_ended_task_frees_its_device()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", capabilities: FrameworkCapabilities.GpuResources);
        var agent = await h.AddAgentAsync("cpus:4;mem:1024;gpus:2", gpus: TwoDevices);
        var offer = await fw.NextOfferAsync();
        await fw.Driver.AcceptAsync([offer.Id],
        [
            Gpu("unknown-device", 0.5, devices: [5]),
            Gpu("wrong-model", 0.5, model: "T4", devices: [0]),
            Gpu("no-such-model", 0.5, model: "H100"),
            Gpu("t4", 0.5, model: "t4"),
            Gpu("whole", 1, devices: [0]),
        ]);
        Assert.Contains("GPU device 5 does not exist", (await fw.NextUpdateAsync(new TaskId("unknown-device"))).Message);
        Assert.Contains("GPU device 0 is a A100, not a T4", (await fw.NextUpdateAsync(new TaskId("wrong-model"))).Message);
        Assert.Contains("no H100 GPU device", (await fw.NextUpdateAsync(new TaskId("no-such-model"))).Message);
        var t4 = await agent.NextLaunchAsync();
        Assert.Equal(("t4", 1), (t4.Task!.Id.Value, t4.Task.GpuDevices!.Single()));
        var whole = await agent.NextLaunchAsync();
        Assert.Equal(("whole", 0), (whole.Task!.Id.Value, whole.Task.GpuDevices!.Single()));

        // The whole device is back once its task ends: the next offer shows device 0 free.
        await agent.SendStatusAsync(whole.FrameworkId, whole.Task.Id, TaskState.Finished);
        await fw.NextUpdateAsync(whole.Task.Id);
        await h.AdvanceAsync(TimeSpan.FromSeconds(6));
        var next = await fw.NextOfferAsync();
        Assert.Equal([1.0, 0.5], next.Gpus.Select(g => g.Free));
        Assert.Equal(1.5, next.Resources.Gpus);
    }

    [Theory]
    [InlineData(Core.Placement.BillingMode.Machine)]
    [InlineData(Core.Placement.BillingMode.Chargeback)]
    public async Task A_framework_learns_the_clusters_billing_mode_when_it_subscribes(Core.Placement.BillingMode billing)
    {
        await using var h = new MasterHarness(o => o.Billing = billing);
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        Assert.Equal(billing, fw.Driver.Billing);
    }

    [Fact]
    public async Task A_model_or_named_devices_cannot_be_honoured_on_an_agent_that_lists_no_devices()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", capabilities: FrameworkCapabilities.GpuResources);
        var agent = await h.AddAgentAsync("cpus:4;mem:1024;gpus:2");
        var offer = await fw.NextOfferAsync();
        Assert.Empty(offer.Gpus);
        await fw.Driver.AcceptAsync([offer.Id], [Gpu("model", 1, model: "A100"), Gpu("plain", 1)]);
        Assert.Contains("lists no GPU devices", (await fw.NextUpdateAsync(new TaskId("model"))).Message);
        // Without a device list, gpus stay a plain scalar, as before devices were listed.
        var plain = await agent.NextLaunchAsync();
        Assert.Null(plain.Task!.GpuDevices);
    }
}
