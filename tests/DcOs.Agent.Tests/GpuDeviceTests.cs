using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Tests;

/// <summary>An agent lists its GPU devices and shows each task only the devices the master gave it.</summary>
public sealed class GpuDeviceTests : IAsyncLifetime
{
    private MasterDouble _master = null!;
    private TestAgent _agent = null!;

    public async ValueTask InitializeAsync()
    {
        _master = await MasterDouble.StartTcpAsync();
        _agent = await TestAgent.StartAsync(_master, o =>
        {
            o.Gpus = null;
            o.GpuDevices = "A100:40960,T4:15360";
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _master.DisposeAsync();
    }

    [Fact]
    public async Task The_agent_registers_its_devices_and_a_task_sees_only_those_it_was_given_whatever_its_own_environment_says()
    {
        var registered = (await _master.RegistrationAsync<RegisterAgent>(0)).Agent!;
        Assert.Equal(2, registered.Resources.Gpus);
        Assert.Equal([(0, "A100", 40960.0), (1, "T4", 15360.0)], registered.Gpus.Select(g => (g.Index, g.Model, g.MemoryMb)));

        var gpu = Tasks.Shell("gpu", "env", env: new Dictionary<string, string> { ["CUDA_VISIBLE_DEVICES"] = "0,1" }) with
        {
            Resources = Resources.Parse("cpus:0.2;mem:64;gpus:0.5"),
            GpuDevices = [1],
        };
        await _master.RunAsync("fw1", gpu);
        await _master.RunAsync("fw1", Tasks.Shell("cpu", "env"));
        await _master.TerminalAsync("gpu");
        await _master.TerminalAsync("cpu");

        var gpuEnv = File.ReadAllLines(Path.Combine(_agent.Sandbox("fw1", "gpu"), "stdout"));
        Assert.Contains("CUDA_VISIBLE_DEVICES=1", gpuEnv);
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=1", gpuEnv);
        var cpuEnv = File.ReadAllLines(Path.Combine(_agent.Sandbox("fw1", "cpu"), "stdout"));
        Assert.Contains("CUDA_VISIBLE_DEVICES=", cpuEnv);
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=void", cpuEnv);
    }

    [Fact]
    public async Task A_master_that_names_a_device_the_agent_lacks_or_overfills_one_is_refused_and_nothing_starts()
    {
        TaskSpec Gpu(string id, double gpus, IReadOnlyList<int>? devices, string? model = null) =>
            Tasks.Shell(id, "sleep 600") with { Resources = Resources.Parse($"cpus:0.1;mem:32;gpus:{gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)}"), GpuDevices = devices, GpuModel = model };
        await _master.RunAsync("fw1", Gpu("holds", 0.7, [0]));
        await _master.WaitForStateAsync("holds", TaskState.Running);

        await _master.RunAsync("fw1", Gpu("missing", 0.5, [7]));
        await _master.RunAsync("fw1", Gpu("overfull", 0.5, [0]));
        await _master.RunAsync("fw1", Gpu("wrong-model", 0.5, [1], model: "A100"));
        await _master.RunAsync("fw1", Gpu("unnamed", 1, null));
        Assert.Contains("GPU device 7 does not exist", (await _master.TerminalAsync("missing"))[^1].Message);
        Assert.Contains("GPU device 0 has 0.3 free but the task needs 0.5", (await _master.TerminalAsync("overfull"))[^1].Message);
        Assert.Contains("GPU device 1 is a T4, not a A100", (await _master.TerminalAsync("wrong-model"))[^1].Message);
        Assert.Contains("names no GPU device", (await _master.TerminalAsync("unnamed"))[^1].Message);
        Assert.All(new[] { "missing", "overfull", "wrong-model", "unnamed" }, id => Assert.False(Directory.Exists(_agent.Sandbox("fw1", id)), id + " got a sandbox"));
    }
}
