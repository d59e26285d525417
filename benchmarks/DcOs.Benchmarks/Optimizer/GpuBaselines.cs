using DcOs.Core.Placement;

namespace DcOs.Benchmarks.Optimizer;

/// <summary>What is free on one node, in the benchmark's own accounting: cpus, MiB, and thousandths free per GPU device.</summary>
public sealed class NodeState(RawNode node)
{
    public RawNode Node { get; } = node;

    public double Cpus { get; set; } = node.Type.Cpus;

    public double MemMb { get; set; } = node.Type.MemGb * 1024;

    public int[] Devices { get; } = [.. Enumerable.Repeat(1000, node.Type.Gpus)];

    /// <summary>Pods running here.</summary>
    public int Pods { get; set; }

    public NodeState Clone()
    {
        var copy = new NodeState(Node) { Cpus = Cpus, MemMb = MemMb, Pods = Pods };
        Devices.CopyTo(copy.Devices, 0);
        return copy;
    }

    /// <summary>A key equal for nodes the baselines cannot tell apart (same type, spot, free amounts, device frees).</summary>
    public string Key => $"{Node.Type.Name}|{Node.Spot}|{Cpus:0.###}|{MemMb:0}|{string.Join(',', Devices)}|{(Pods > 0 ? 1 : 0)}";
}

/// <summary>A placement: the node of each pod (-1: not placed) and the devices it uses.</summary>
public sealed class GpuPlacement(int pods)
{
    public int[] Node { get; } = [.. Enumerable.Repeat(-1, pods)];

    public int[][] Devices { get; } = new int[pods][];

    public int Placed => Node.Count(n => n >= 0);
}

/// <summary>
/// The benchmark's own rules, independent of the optimizer's code: whether a pod fits a node per device, the devices it
/// takes, the bill (every node running a pod is paid its price), and the baselines it compares the optimizer with:
/// Kubernetes' LeastAllocated and MostAllocated scoring and an FGD-style heuristic (Fragmentation Gradient Descent,
/// Weng et al., USENIX ATC'23). Every optimizer plan is replayed through <see cref="Replay"/>, which throws on a pod
/// that does not fit, so no invalid plan is scored.
/// </summary>
public static class GpuBaselines
{
    public static NodeState[] Idle(GpuCluster cluster) => [.. cluster.Nodes.Select(n => new NodeState(n))];

    /// <summary>Whether <paramref name="pod"/> may run on the node and fits, devices included.</summary>
    public static bool Fits(RawPod pod, NodeState s) =>
        (pod.AllowSpot || !s.Node.Spot) && pod.Cpus <= s.Cpus + 1e-9 && pod.MemMb <= s.MemMb + 1e-9 && DevicesFor(pod, s, -1) is not null;

    /// <summary>
    /// The devices <paramref name="pod"/> would take: <paramref name="preferred"/> when given and it holds the share,
    /// else the fullest device that holds a share, or the lowest-numbered free devices for whole ones. Null when none fits.
    /// </summary>
    public static int[]? DevicesFor(RawPod pod, NodeState s, int preferred)
    {
        if (pod.Gpus <= 0) return [];
        if (pod.Model is { } model && !string.Equals(model, s.Node.Type.Model, StringComparison.OrdinalIgnoreCase)) return null;
        if (pod.Gpus <= 1 && pod.Gpus < 1)
        {
            var need = (int)Math.Round(pod.Gpus * 1000);
            if (preferred >= 0) return s.Devices[preferred] >= need ? [preferred] : null;
            var best = -1;
            for (var i = 0; i < s.Devices.Length; i++)
            {
                if (s.Devices[i] >= need && (best < 0 || s.Devices[i] < s.Devices[best])) best = i;
            }
            return best < 0 ? null : [best];
        }
        var whole = Enumerable.Range(0, s.Devices.Length).Where(i => s.Devices[i] == 1000).Take((int)pod.Gpus).ToArray();
        return whole.Length == (int)pod.Gpus ? whole : null;
    }

    public static void Take(RawPod pod, NodeState s, int[] devices)
    {
        s.Cpus -= pod.Cpus;
        s.MemMb -= pod.MemMb;
        var need = pod.Gpus < 1 ? (int)Math.Round(pod.Gpus * 1000) : 1000;
        foreach (var d in devices) s.Devices[d] -= need;
        s.Pods++;
    }

    public static void Release(RawPod pod, NodeState s, int[] devices)
    {
        s.Cpus += pod.Cpus;
        s.MemMb += pod.MemMb;
        var need = pod.Gpus < 1 ? (int)Math.Round(pod.Gpus * 1000) : 1000;
        foreach (var d in devices) s.Devices[d] += need;
        s.Pods--;
    }

    /// <summary>
    /// Replays an optimizer plan on <paramref name="states"/> (its agent ids name nodes "node-NNNNNN"), checking each pod
    /// against the benchmark's own rules, with the devices the plan gave it. Throws on anything that does not fit.
    /// </summary>
    public static void Replay(IReadOnlyList<RawPod> pods, NodeState[] states, PlacementPlan plan, GpuPlacement into)
    {
        foreach (var a in plan.Assignments)
        {
            var pod = pods[a.TaskIndex];
            var node = int.Parse(a.AgentId.Value.AsSpan("node-".Length), System.Globalization.CultureInfo.InvariantCulture);
            var s = states[node];
            int[] devices = [.. a.GpuDevices];
            var expected = pod.Gpus <= 0 ? 0 : pod.Gpus < 1 ? 1 : (int)pod.Gpus;
            var need = pod.Gpus < 1 ? (int)Math.Round(pod.Gpus * 1000) : 1000;
            if (devices.Length != expected || devices.Distinct().Count() != expected || devices.Any(d => d < 0 || d >= s.Devices.Length || s.Devices[d] < need)
                || (pod.Model is { } m && expected > 0 && !string.Equals(m, s.Node.Type.Model, StringComparison.OrdinalIgnoreCase))
                || pod.Cpus > s.Cpus + 1e-9 || pod.MemMb > s.MemMb + 1e-9 || (!pod.AllowSpot && s.Node.Spot))
                throw new InvalidOperationException($"{plan.Statistics.Algorithm} put pod {pod.Index} on node {node} devices [{string.Join(',', devices)}], which does not hold it");
            Take(pod, s, devices);
            into.Node[pod.Index] = node;
            into.Devices[pod.Index] = devices;
        }
    }

    /// <summary>Per hour, what the nodes running at least one pod cost, each at its price once.</summary>
    public static double Bill(IEnumerable<NodeState> states) => states.Where(s => s.Pods > 0).Sum(s => s.Node.PricePerHour);

    /// <summary>The share of the cluster's GPU capacity no pod holds.</summary>
    public static double UnallocatedGpuShare(IEnumerable<NodeState> states)
    {
        long total = 0, free = 0;
        foreach (var s in states)
        {
            total += 1000L * s.Devices.Length;
            free += s.Devices.Sum();
        }
        return total == 0 ? 0 : free / (double)total;
    }

    /// <summary>Kubernetes' NodeResourcesFit scoring: LeastAllocated (most free share after the pod) or MostAllocated (least free).</summary>
    public static GpuPlacement Kubernetes(GpuCluster cluster, NodeState[] states, bool mostAllocated) =>
        Greedy(cluster.Pods, states, (pod, s, devices) =>
        {
            var after = s.Clone();
            Take(pod, after, devices);
            var t = s.Node.Type;
            var free = (after.Cpus / t.Cpus + after.MemMb / (t.MemGb * 1024)) / 2;
            if (t.Gpus > 0 && pod.Gpus > 0) free = (free * 2 + after.Devices.Sum() / (1000.0 * t.Gpus)) / 3;
            return mostAllocated ? free : -free;
        }, deviceChoices: false);

    /// <summary>
    /// FGD-style: each pod goes where the cluster's expected GPU fragmentation grows least. A node's fragmentation for a
    /// pod type is the free GPU share it cannot give that type (all of it when the type does not fit, else the devices
    /// with less free than the type's share, or partly used devices for whole-device types), weighted by how common the
    /// type is among the pods. Tried on every device a share could take.
    /// </summary>
    public static GpuPlacement Fgd(GpuCluster cluster, NodeState[] states)
    {
        var types = cluster.Pods.GroupBy(p => (p.Cpus, p.MemMb, p.Gpus, p.Model))
            .Select(g => (Pod: g.First(), Weight: g.Count() / (double)cluster.Pods.Length)).ToArray();
        var cache = new Dictionary<string, double>();
        double Fragmentation(NodeState s)
        {
            var key = s.Key;
            if (cache.TryGetValue(key, out var f)) return f;
            f = 0;
            var freeGpu = s.Devices.Sum();
            if (freeGpu > 0)
            {
                foreach (var (pod, weight) in types)
                {
                    if (!Fits(pod, s)) f += weight * freeGpu;
                    else if (pod.Gpus > 0)
                    {
                        var need = pod.Gpus < 1 ? (int)Math.Round(pod.Gpus * 1000) : 1000;
                        foreach (var d in s.Devices) f += d < need ? weight * d : 0;
                    }
                }
            }
            cache[key] = f;
            return f;
        }
        return Greedy(cluster.Pods, states, (pod, s, devices) =>
        {
            var after = s.Clone();
            Take(pod, after, devices);
            return Fragmentation(after) - Fragmentation(s);
        }, deviceChoices: true);
    }

    /// <summary>
    /// Places pods in order, each on the node (and, with <paramref name="deviceChoices"/>, the device) of least score,
    /// ties to the lowest node index. Nodes in the same state are scored once (they are grouped by <see cref="NodeState.Key"/>).
    /// </summary>
    private static GpuPlacement Greedy(IReadOnlyList<RawPod> pods, NodeState[] states, Func<RawPod, NodeState, int[], double> score, bool deviceChoices)
    {
        var placement = new GpuPlacement(pods.Count);
        var groups = new Dictionary<string, SortedSet<int>>();
        foreach (var s in states) Group(s.Node.Index).Add(s.Node.Index);
        foreach (var pod in pods)
        {
            var bestScore = double.MaxValue;
            var bestNode = -1;
            int[]? bestDevices = null;
            foreach (var (_, members) in groups)
            {
                if (members.Count == 0) continue;
                var s = states[members.Min];
                if (!(pod.AllowSpot || !s.Node.Spot) || pod.Cpus > s.Cpus + 1e-9 || pod.MemMb > s.MemMb + 1e-9) continue;
                var options = deviceChoices && pod.Gpus is > 0 and < 1
                    ? Enumerable.Range(0, s.Devices.Length).Select(d => DevicesFor(pod, s, d))
                    : [DevicesFor(pod, s, -1)];
                foreach (var devices in options)
                {
                    if (devices is null) continue;
                    var value = score(pod, s, devices);
                    if (value < bestScore - 1e-12 || (Math.Abs(value - bestScore) <= 1e-12 && members.Min < bestNode))
                    {
                        bestScore = value;
                        bestNode = members.Min;
                        bestDevices = devices;
                    }
                }
            }
            if (bestNode < 0) continue;
            var chosen = states[bestNode];
            groups[chosen.Key].Remove(bestNode);
            Take(pod, chosen, bestDevices!);
            Group(bestNode).Add(bestNode);
            placement.Node[pod.Index] = bestNode;
            placement.Devices[pod.Index] = bestDevices!;
        }
        return placement;

        SortedSet<int> Group(int node)
        {
            var key = states[node].Key;
            if (!groups.TryGetValue(key, out var set)) groups[key] = set = [];
            return set;
        }
    }
}
