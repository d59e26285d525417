namespace DcOs.Core;

/// <summary>
/// How tasks share GPU devices, the one rule the master, the optimizer and the SDK apply. A task's <c>gpus</c> of at
/// most 1 is a share of one device (several tasks may share a device, 0.5 + 0.25 + 0.25); more than 1 must be a whole
/// number of devices, each taken whole. A task may name a model (<see cref="TaskSpec.GpuModel"/>): only devices of that
/// model count. Shares are counted in thousandths, like every scalar, so sums are exact.
/// </summary>
public static class GpuShares
{
    /// <summary>Thousandths in one whole device.</summary>
    public const int Whole = 1000;

    /// <summary>How many devices a task asking for <paramref name="gpus"/> takes and how many thousandths of each.</summary>
    public static (int Devices, int Thousandths) Demand(double gpus)
    {
        if (!(gpus > 0)) return (0, 0);
        if (gpus <= 1) return (1, Math.Max(1, ToThousandths(gpus)));
        return ((int)Math.Min(Math.Round(gpus), int.MaxValue), Whole);
    }

    /// <summary>A share as thousandths, rounded as scalars round.</summary>
    public static int ToThousandths(double share) => (int)Math.Round(share * Whole, MidpointRounding.AwayFromZero);

    /// <summary>
    /// The devices a task asking for <paramref name="gpus"/> (of <paramref name="model"/>, when set) would use, chosen
    /// best-fit: a share goes to the matching device with the least free room that holds it (packing shares together
    /// keeps whole devices free for whole-device tasks), whole devices are the lowest-numbered free ones. Null when
    /// they do not fit; empty when the task asks for no GPU.
    /// </summary>
    public static int[]? Choose(IReadOnlyList<GpuAvailability> devices, double gpus, string? model)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var (count, need) = Demand(gpus);
        if (count == 0) return [];
        if (count == 1 && need < Whole)
        {
            var best = -1;
            var bestFree = int.MaxValue;
            foreach (var d in devices)
            {
                if (!Matches(d.Device, model)) continue;
                var free = ToThousandths(d.Free);
                if (free >= need && (free < bestFree || (free == bestFree && d.Device.Index < best)))
                {
                    best = d.Device.Index;
                    bestFree = free;
                }
            }
            return best < 0 ? null : [best];
        }
        var whole = devices.Where(d => Matches(d.Device, model) && ToThousandths(d.Free) >= Whole).Select(d => d.Device.Index).Order().Take(count).ToArray();
        return whole.Length == count ? whole : null;
    }

    /// <summary>
    /// Why <paramref name="pinned"/> cannot hold a task asking for <paramref name="gpus"/> of <paramref name="model"/>
    /// on <paramref name="devices"/> (an unknown device, another model, too little free room), or null when it can.
    /// </summary>
    public static string? CheckPinned(IReadOnlyList<GpuAvailability> devices, double gpus, string? model, IReadOnlyList<int> pinned)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(pinned);
        var (count, need) = Demand(gpus);
        if (pinned.Count != count) return $"the task asks for {count} GPU device(s) but names {pinned.Count}";
        foreach (var index in pinned)
        {
            var device = devices.FirstOrDefault(d => d.Device.Index == index);
            if (device is null) return $"GPU device {index} does not exist on the agent";
            if (!Matches(device.Device, model)) return $"GPU device {index} is a {Describe(device.Device)}, not a {model}";
            var free = ToThousandths(device.Free);
            if (free < need) return $"GPU device {index} has {free / (double)Whole:0.###} free but the task needs {need / (double)Whole:0.###}";
        }
        return null;
    }

    /// <summary>
    /// Each device's free share once the <paramref name="running"/> tasks (their GPUs and the devices they were given)
    /// are taken out. A task without devices takes nothing here (it ran before devices were listed).
    /// </summary>
    public static GpuAvailability[] FreeOf(IReadOnlyList<GpuDevice> devices, IEnumerable<TaskSpec> running)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(running);
        var used = new int[devices.Count];
        foreach (var task in running) Take(devices, used, task);
        var free = new GpuAvailability[devices.Count];
        for (var i = 0; i < free.Length; i++) free[i] = new GpuAvailability(devices[i], Math.Max(0, Whole - used[i]) / (double)Whole);
        return free;
    }

    /// <summary>What <paramref name="available"/> holds once <paramref name="task"/> took its devices (it must have them).</summary>
    public static GpuAvailability[] After(IReadOnlyList<GpuAvailability> available, TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(available);
        ArgumentNullException.ThrowIfNull(task);
        var (_, need) = Demand(task.Resources.Gpus);
        var result = available.ToArray();
        if (task.GpuDevices is not { } pinned) return result;
        for (var i = 0; i < result.Length; i++)
        {
            if (pinned.Contains(result[i].Device.Index))
                result[i] = result[i] with { Free = Math.Max(0, ToThousandths(result[i].Free) - need) / (double)Whole };
        }
        return result;
    }

    /// <summary>Whether <paramref name="device"/> is of <paramref name="model"/> (any device when none is asked for); models compare ignoring case.</summary>
    public static bool Matches(GpuDevice device, string? model) =>
        model is null || string.Equals(device.Model, model, StringComparison.OrdinalIgnoreCase);

    private static void Take(IReadOnlyList<GpuDevice> devices, int[] used, TaskSpec task)
    {
        if (task.GpuDevices is not { } pinned) return;
        var (_, need) = Demand(task.Resources.Gpus);
        for (var i = 0; i < devices.Count; i++)
        {
            if (pinned.Contains(devices[i].Index)) used[i] += need;
        }
    }

    private static string Describe(GpuDevice device) => device.Model.Length == 0 ? "device of unknown model" : device.Model;
}
