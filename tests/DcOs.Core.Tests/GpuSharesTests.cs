using DcOs.Core;

namespace DcOs.Core.Tests;

/// <summary>The GPU device rule: what a task may ask, how devices are chosen and checked, what agents may list.</summary>
public sealed class GpuSharesTests
{
    private static readonly GpuDevice A0 = new() { Index = 0, Model = "A100", MemoryMb = 40_960 };
    private static readonly GpuDevice A1 = new() { Index = 1, Model = "A100", MemoryMb = 40_960 };
    private static readonly GpuDevice T2 = new() { Index = 2, Model = "T4", MemoryMb = 15_360 };

    private static TaskSpec Task(string resources, string? model = null, IReadOnlyList<int>? devices = null) => new()
    {
        Id = new TaskId("t"),
        Command = CommandSpec.FromShell("true"),
        Resources = Resources.Parse(resources),
        GpuModel = model,
        GpuDevices = devices,
    };

    [Theory]
    [InlineData("cpus:1;gpus:1.5", null, "task.resources.gpus", "whole number of devices")]
    [InlineData("cpus:1", "A100", "task.gpuModel", "asks for no GPU")]
    [InlineData("cpus:1;gpus:0.5", " ", "task.gpuModel", "must not be empty")]
    public void A_task_asking_for_what_no_device_can_give_is_refused_naming_the_field(string resources, string? model, string field, string reason)
    {
        var e = Assert.Throws<ValidationException>(() => Task(resources, model).Validate());
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData("cpus:1;gpus:2", new[] { 0 }, "task.gpuDevices", "names 1 device(s) but gpus 2 takes 2")]
    [InlineData("cpus:1;gpus:0.5", new[] { 0, 1 }, "task.gpuDevices", "names 2 device(s)")]
    [InlineData("cpus:1;gpus:2", new[] { 1, 1 }, "task.gpuDevices[1]", "repeats device 1")]
    [InlineData("cpus:1;gpus:1", new[] { -1 }, "task.gpuDevices[0]", "must not be negative")]
    [InlineData("cpus:1", new[] { 0 }, "task.gpuDevices", "asks for no GPU")]
    public void Named_devices_must_match_the_gpus_asked_for(string resources, int[] devices, string field, string reason)
    {
        var e = Assert.Throws<ValidationException>(() => Task(resources, devices: devices).Validate());
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_share_goes_to_the_fullest_device_that_holds_it_and_whole_devices_to_the_lowest_free_ones()
    {
        GpuAvailability[] free = [new(A0, 1), new(A1, 0.3), new(T2, 0.6)];
        Assert.Equal([1], GpuShares.Choose(free, 0.25, null)!);
        Assert.Equal([2], GpuShares.Choose(free, 0.5, null)!);
        Assert.Equal([0], GpuShares.Choose(free, 0.7, null)!);
        Assert.Equal([1], GpuShares.Choose(free, 0.3, "a100")!);
        Assert.Null(GpuShares.Choose(free, 0.7, "T4"));
        Assert.Equal([0], GpuShares.Choose(free, 1, null)!);
        Assert.Null(GpuShares.Choose(free, 2, null));
        Assert.Empty(GpuShares.Choose(free, 0, null)!);
        GpuAvailability[] idle = [new(A0, 1), new(A1, 1), new(T2, 1)];
        Assert.Equal([0, 1], GpuShares.Choose(idle, 2, "A100")!);
        Assert.Equal([0, 1, 2], GpuShares.Choose(idle, 3, null)!);
    }

    [Fact]
    public void Named_devices_are_checked_for_existence_model_and_room()
    {
        GpuAvailability[] free = [new(A0, 1), new(A1, 0.3), new(T2, 0.6)];
        Assert.Null(GpuShares.CheckPinned(free, 0.3, null, [1]));
        Assert.Contains("has 0.3 free but the task needs 0.5", GpuShares.CheckPinned(free, 0.5, null, [1]));
        Assert.Contains("does not exist", GpuShares.CheckPinned(free, 0.5, null, [7]));
        Assert.Contains("is a T4, not a A100", GpuShares.CheckPinned(free, 0.5, "A100", [2]));
        Assert.Contains("asks for 2 GPU device(s) but names 1", GpuShares.CheckPinned(free, 2, null, [0]));
    }

    [Fact]
    public void Free_shares_are_what_running_tasks_left_counted_exactly_in_thousandths()
    {
        var running = new[]
        {
            Task("cpus:1;gpus:0.1", devices: [0]), Task("cpus:1;gpus:0.2", devices: [0]), Task("cpus:1;gpus:0.7", devices: [0]),
            Task("cpus:1;gpus:2", devices: [1, 2]),
            Task("cpus:1;gpus:1"), // launched before devices were listed: takes no device
        };
        var free = GpuShares.FreeOf([A0, A1, T2], running);
        Assert.Equal([0.0, 0.0, 0.0], free.Select(f => f.Free));
        Assert.Null(GpuShares.Choose(free, 0.001, null));
        var after = GpuShares.After([new(A0, 1), new(T2, 1)], Task("cpus:1;gpus:0.333", devices: [2]));
        Assert.Equal([1.0, 0.667], after.Select(f => f.Free));
    }

    [Fact]
    public void An_agent_lists_each_device_once_and_as_many_as_its_gpus()
    {
        var agent = new AgentInfo { Hostname = "h", Resources = Resources.Parse("cpus:1;gpus:2"), Gpus = [A0, A1] };
        Assert.Same(agent, agent.Validate());
        var e = Assert.Throws<ValidationException>(() => (agent with { Gpus = [A0] }).Validate());
        Assert.Equal("agent.gpus", e.Field);
        Assert.Contains("lists 1 device(s) but resources.gpus is 2", e.Message);
        e = Assert.Throws<ValidationException>(() => (agent with { Gpus = [A0, A0 with { Model = "T4" }] }).Validate());
        Assert.Equal("agent.gpus[1].index", e.Field);
        e = Assert.Throws<ValidationException>(() => (agent with { Gpus = [A0, A1 with { MemoryMb = double.NaN }] }).Validate());
        Assert.Equal("agent.gpus[1].memoryMb", e.Field);
        e = Assert.Throws<ValidationException>(() => (agent with { Gpus = [A0, A1 with { Index = -3 }] }).Validate());
        Assert.Equal("agent.gpus[1].index", e.Field);
    }
}
