using DcOs.Core;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    /// <summary>
    /// Gives a task asking for GPUs its devices on an agent that lists them (<see cref="GpuShares"/>): devices the task
    /// names are checked (they exist, are of its model, have the room), otherwise the master chooses best-fit and
    /// records the choice in the spec, which the agent turns into <c>CUDA_VISIBLE_DEVICES</c>. <paramref name="available"/>
    /// is the agent's free devices, computed on first use and updated as the request's tasks take devices. On an agent
    /// that lists no devices, <c>gpus</c> stay a plain scalar; a model or named devices cannot be honoured there.
    /// Null when the task has its devices; otherwise why not (TASK_ERROR, insufficient resources).
    /// </summary>
    private static string? AssignGpus(AgentState agent, ref TaskSpec spec, ref GpuAvailability[]? available, out TaskStatusReason reason)
    {
        reason = TaskStatusReason.InsufficientResources;
        var gpus = spec.Resources.Gpus;
        if (gpus <= 0) return null;
        if (agent.Info.Gpus.Count == 0)
        {
            return spec.GpuModel is null && spec.GpuDevices is null
                ? null
                : $"agent {agent.Id} lists no GPU devices, so gpuModel and gpuDevices cannot be honoured there";
        }
        available ??= agent.FreeGpus();
        if (spec.GpuDevices is { } named)
        {
            if (GpuShares.CheckPinned(available, gpus, spec.GpuModel, named) is { } error) return $"gpuDevices on agent {agent.Id}: {error}";
        }
        else if (GpuShares.Choose(available, gpus, spec.GpuModel) is { } chosen)
        {
            spec = spec with { GpuDevices = chosen };
        }
        else
        {
            var model = spec.GpuModel is null ? "" : " " + spec.GpuModel;
            return $"no{model} GPU device on agent {agent.Id} has room for gpus {gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)} " +
                   $"(free: {string.Join(", ", available.Select(a => $"{a.Device.Index}={a.Free.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}"))})";
        }
        available = GpuShares.After(available, spec);
        return null;
    }
}
