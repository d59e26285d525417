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
}
