using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Benchmarks.Optimizer;

/// <summary>A node type of the generated GPU cluster, priced like a public cloud: per GPU-hour by model, per vCPU and per GiB.</summary>
public sealed record GpuNodeType(string Name, double Cpus, double MemGb, int Gpus, string Model, double GpuMemMb)
{
    private static readonly Dictionary<string, double> GpuHour = new() { ["none"] = 0, ["T4"] = 0.35, ["A10G"] = 0.75, ["V100"] = 2.48, ["A100"] = 3.67 };

    /// <summary>On-demand $/h: 0.04 per vCPU, 0.005 per GiB and the model's GPU-hour per device.</summary>
    public double OnDemandPerHour => Math.Round(Cpus * 0.04 + MemGb * 0.005 + Gpus * GpuHour[Model], 4);
}

/// <summary>One node as raw numbers: what the benchmark's baselines and its bill read (never the optimizer's types).</summary>
public sealed record RawNode(int Index, GpuNodeType Type, bool Spot, double PricePerHour);

/// <summary>One pod as raw numbers; <see cref="Gpus"/> up to 1 is a share of one device, more whole devices.</summary>
public sealed record RawPod(int Index, double Cpus, double MemMb, double Gpus, string? Model, bool AllowSpot, double ArrivalHours, double DurationHours);

/// <summary>A generated cluster and its pods.</summary>
public sealed record GpuCluster(RawNode[] Nodes, RawPod[] Pods)
{
    public int TotalGpus => Nodes.Sum(n => n.Type.Gpus);
}

/// <summary>
/// Heterogeneous clusters shaped like production GPU clusters (the shape of the trace behind "Beware of
/// Fragmentation", ATC'23): CPU-only nodes and nodes with 1, 2, 4 and 8 GPUs of four models, 30 % of them spot at 35 %
/// of the on-demand price; pods of which 45 % ask for a share of one GPU, 20 % for one GPU, 5 % for 2 to 8, the rest
/// CPU-only, some naming a model. Seeded, so every method sees the same input.
/// </summary>
public static class GpuClusterWorkload
{
    private static readonly (GpuNodeType Type, int Percent)[] NodeTypes =
    [
        (new GpuNodeType("cpu-32", 32, 128, 0, "none", 0), 30),
        (new GpuNodeType("t4-1", 8, 32, 1, "T4", 15_360), 15),
        (new GpuNodeType("a10g-1", 8, 32, 1, "A10G", 23_028), 15),
        (new GpuNodeType("t4-2", 16, 64, 2, "T4", 15_360), 15),
        (new GpuNodeType("a10g-4", 48, 192, 4, "A10G", 23_028), 8),
        (new GpuNodeType("v100-4", 32, 244, 4, "V100", 16_384), 7),
        (new GpuNodeType("v100-8", 64, 488, 8, "V100", 16_384), 5),
        (new GpuNodeType("a100-8", 96, 1152, 8, "A100", 40_960), 5),
    ];

    private static readonly double[] Shares = [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75];

    public static GpuCluster Generate(int nodes, int pods, int seed = 7, double hours = 24)
    {
        var random = new Random(seed);
        var raw = new RawNode[nodes];
        for (var i = 0; i < nodes; i++)
        {
            var type = Pick(random, NodeTypes);
            var spot = random.Next(100) < 30;
            raw[i] = new RawNode(i, type, spot, Math.Round(type.OnDemandPerHour * (spot ? 0.35 : 1), 4));
        }
        var podList = new RawPod[pods];
        for (var i = 0; i < pods; i++)
        {
            var roll = random.Next(100);
            double cpus, mem, gpus;
            string? model = null;
            if (roll < 30)
            {
                cpus = new[] { 1.0, 2, 4, 8 }[random.Next(4)];
                mem = cpus * 4096;
                gpus = 0;
            }
            else if (roll < 75)
            {
                gpus = Shares[random.Next(Shares.Length)];
                cpus = new[] { 1.0, 2, 4 }[random.Next(3)];
                mem = 8192;
                if (random.Next(100) < 15) model = "T4";
            }
            else if (roll < 95)
            {
                gpus = 1;
                cpus = new[] { 2.0, 4, 6 }[random.Next(3)];
                mem = 16_384;
                if (random.Next(100) < 15) model = "A10G";
            }
            else
            {
                gpus = new[] { 2.0, 4, 8 }[random.Next(3)];
                cpus = 4 * gpus;
                mem = 32_768 * gpus / 2;
                if (random.Next(100) < 30) model = gpus > 4 ? "A100" : "V100";
            }
            var arrival = random.NextDouble() * hours;
            var duration = -Math.Log(1 - random.NextDouble()) * 2; // exponential, mean 2 h
            podList[i] = new RawPod(i, cpus, mem, gpus, model, random.Next(100) < 70, arrival, Math.Max(0.05, duration));
        }
        return new GpuCluster(raw, podList);
    }

    /// <summary>The optimizer's view of the cluster, all idle.</summary>
    public static PlacementMachine[] Machines(GpuCluster cluster) => [.. cluster.Nodes.Select(n => Machine(n, null))];

    /// <summary>One node for the optimizer; <paramref name="state"/> (when given) says what is free on it now.</summary>
    public static PlacementMachine Machine(RawNode node, NodeState? state)
    {
        var devices = Enumerable.Range(0, node.Type.Gpus).Select(i => new GpuDevice { Index = i, Model = node.Type.Model, MemoryMb = node.Type.GpuMemMb }).ToArray();
        var agent = new AgentInfo
        {
            Id = new AgentId($"node-{node.Index:D6}"),
            Hostname = $"node-{node.Index:D6}",
            Resources = Resources.FromScalars(cpus: node.Type.Cpus, memMb: node.Type.MemGb * 1024, gpus: node.Type.Gpus),
            Gpus = devices,
            Attributes = Attributes.Parse("type:" + node.Type.Name),
            Cost = new CostModel { MachinePerHour = node.PricePerHour, Preemptible = node.Spot },
        };
        if (state is null) return PlacementMachine.FromAgent(agent);
        var free = Resources.FromScalars(cpus: Math.Round(state.Cpus, 3), memMb: Math.Round(state.MemMb, 3), gpus: Math.Round(state.Devices.Sum() / 1000.0, 3));
        return PlacementMachine.FromAgent(agent, free, [.. devices.Select((d, i) => new GpuAvailability(d, state.Devices[i] / 1000.0))]);
    }

    public static PendingTask Task(RawPod pod) => new()
    {
        Spec = new TaskSpec
        {
            Id = new TaskId($"pod-{pod.Index:D6}"),
            Command = CommandSpec.FromShell("./serve"),
            Resources = Resources.FromScalars(cpus: pod.Cpus, memMb: pod.MemMb, gpus: pod.Gpus),
            GpuModel = pod.Model,
        },
        AllowPreemptible = pod.AllowSpot,
    };

    private static T Pick<T>(Random random, (T Item, int Percent)[] table)
    {
        var roll = random.Next(table.Sum(t => t.Percent));
        foreach (var (item, percent) in table)
        {
            if (roll < percent) return item;
            roll -= percent;
        }
        return table[^1].Item;
    }
}
