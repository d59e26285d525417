using System.Diagnostics;
using DcOs.Benchmarks.Quick;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Benchmarks.Optimizer;

/// <summary>
/// The GPU-cluster part of <c>quick optimizer</c>: the optimizer's Cheapest plan against first-fit, best-fit, Pack,
/// Kubernetes' least- and most-allocated scoring and an FGD-style heuristic, on a generated production-shaped cluster
/// (<see cref="GpuClusterWorkload"/>). Every plan is replayed through the benchmark's own rules
/// (<see cref="GpuBaselines.Replay"/>: each pod's devices, cpus, memory and model checked) and scored from the raw
/// input: the bill is what the nodes running anything cost per hour, placed is pods running, unallocated is the GPU
/// capacity no pod holds. Metric names are those of issue 15 (saturated 1x case; suffixes for 10x and under-saturated).
/// </summary>
public static class GpuClusterBenchmark
{
    public static void Run(MetricWriter output, int nodes, int pods, string suffix, bool heuristics, CancellationToken cancellationToken)
    {
        var cluster = GpuClusterWorkload.Generate(nodes, pods);
        var problem = new PlacementProblem
        {
            Tasks = [.. cluster.Pods.Select(GpuClusterWorkload.Task)],
            Machines = GpuClusterWorkload.Machines(cluster),
            Objective = PlacementObjective.Cheapest,
        };
        var results = new Dictionary<string, (double Bill, int Placed, double Unallocated, double Ms)>();
        void Optimizer(string name, OptimizerAlgorithm algorithm, PlacementProblem p)
        {
            var start = Stopwatch.GetTimestamp();
            var plan = OptimizerWorkload.Optimizer(algorithm).Solve(p, cancellationToken);
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var states = GpuBaselines.Idle(cluster);
            var placement = new GpuPlacement(pods);
            GpuBaselines.Replay(cluster.Pods, states, plan, placement);
            results[name] = (GpuBaselines.Bill(states), placement.Placed, GpuBaselines.UnallocatedGpuShare(states), ms);
            if (name == "cheapest") output.Write("bill_gap_pct" + suffix, plan.Bill.GapPercent, "%");
        }
        void Heuristic(string name, Func<GpuCluster, NodeState[], GpuPlacement> place)
        {
            var start = Stopwatch.GetTimestamp();
            var states = GpuBaselines.Idle(cluster);
            var placement = place(cluster, states);
            results[name] = (GpuBaselines.Bill(states), placement.Placed, GpuBaselines.UnallocatedGpuShare(states), Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        Optimizer("firstfit", OptimizerAlgorithm.FirstFit, problem);
        Optimizer("bestfit", OptimizerAlgorithm.BestFit, problem);
        Optimizer("pack", OptimizerAlgorithm.Auto, problem with { Objective = PlacementObjective.Pack });
        Optimizer("cheapest", OptimizerAlgorithm.Auto, problem);
        if (heuristics)
        {
            Heuristic("k8s_least", (c, s) => GpuBaselines.Kubernetes(c, s, mostAllocated: false));
            Heuristic("k8s_most", (c, s) => GpuBaselines.Kubernetes(c, s, mostAllocated: true));
            Heuristic("fgd", GpuBaselines.Fgd);
        }

        var cheapest = results["cheapest"];
        foreach (var (name, r) in results)
        {
            output.Write($"gpu_placed_{name}{suffix}", r.Placed, "pods");
            output.Write($"gpu_bill_{name}{suffix}", r.Bill, "$/h");
            output.Write($"unallocated_gpu_pct_{name}{suffix}", r.Unallocated * 100, "%");
        }
        foreach (var name in results.Keys.Where(k => k != "cheapest"))
            output.Write($"bill_ratio_vs_{name}{suffix}", cheapest.Bill / results[name].Bill, "ratio");
        output.Write("placed_ratio_vs_best" + suffix, cheapest.Placed / (double)results.Where(r => r.Key != "cheapest").Max(r => r.Value.Placed), "ratio");
        if (results.TryGetValue("fgd", out var fgd))
            output.Write("unallocated_gpu_ratio_vs_fgd" + suffix, cheapest.Unallocated / fgd.Unallocated, "ratio");
        output.Write("solve_time_ratio_vs_firstfit" + suffix, cheapest.Ms / results["firstfit"].Ms, "ratio");
        output.Write("gpu_cheapest_ms" + suffix, cheapest.Ms, "ms");
    }

    /// <summary>
    /// Pods arrive over a day and leave after their durations; every 10 minutes the waiting ones are placed on what is
    /// free, by the optimizer's Cheapest (under machine billing, running nodes' room costs nothing more) and by first-fit.
    /// The time-averaged bill integrates, per window, what the nodes running anything cost.
    /// </summary>
    public static void Online(MetricWriter output, int nodes, int pods, CancellationToken cancellationToken)
    {
        var cluster = GpuClusterWorkload.Generate(nodes, pods, seed: 11);
        var cheapest = Replay(cluster, OptimizerWorkload.Optimizer(OptimizerAlgorithm.Auto, TimeSpan.FromSeconds(1)), cancellationToken);
        var firstFit = Replay(cluster, OptimizerWorkload.Optimizer(OptimizerAlgorithm.FirstFit), cancellationToken);
        output.Write("online_bill_ratio_vs_firstfit", cheapest.AverageBill / firstFit.AverageBill, "ratio");
        output.Write("online_placed_ratio_vs_firstfit", cheapest.Placed / (double)firstFit.Placed, "ratio");
        output.Write("online_bill_cheapest", cheapest.AverageBill, "$/h");
        output.Write("online_bill_firstfit", firstFit.AverageBill, "$/h");
    }

    private static (double AverageBill, int Placed) Replay(GpuCluster cluster, IPlacementOptimizer optimizer, CancellationToken cancellationToken)
    {
        const double window = 1.0 / 6;
        var states = GpuBaselines.Idle(cluster);
        var placement = new GpuPlacement(cluster.Pods.Length);
        var arrivals = cluster.Pods.OrderBy(p => p.ArrivalHours).ToArray();
        var running = new List<(RawPod Pod, double End)>();
        var waiting = new List<RawPod>();
        var next = 0;
        var billHours = 0.0;
        var horizon = 24.0;
        for (var t = 0.0; t < horizon; t += window)
        {
            foreach (var (pod, _) in running.Where(r => r.End <= t)) GpuBaselines.Release(pod, states[placement.Node[pod.Index]], placement.Devices[pod.Index]);
            running.RemoveAll(r => r.End <= t);
            while (next < arrivals.Length && arrivals[next].ArrivalHours < t + window) waiting.Add(arrivals[next++]);
            if (waiting.Count > 0)
            {
                var plan = optimizer.Solve(new PlacementProblem
                {
                    Tasks = [.. waiting.Select(GpuClusterWorkload.Task)],
                    Machines = [.. states.Select(s => GpuClusterWorkload.Machine(s.Node, s))],
                    Objective = PlacementObjective.Cheapest,
                }, cancellationToken);
                GpuBaselines.Replay(waiting, states, plan, placement);
                foreach (var a in plan.Assignments) running.Add((waiting[a.TaskIndex], t + waiting[a.TaskIndex].DurationHours));
                waiting.RemoveAll(p => placement.Node[p.Index] >= 0);
            }
            billHours += GpuBaselines.Bill(states) * window;
        }
        return (billHours / horizon, placement.Placed);
    }
}
