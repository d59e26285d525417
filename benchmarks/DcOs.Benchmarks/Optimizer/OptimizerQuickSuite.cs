using System.Diagnostics;
using DcOs.Benchmarks.Quick;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Benchmarks.Optimizer;

/// <summary>
/// <c>quick optimizer</c>: cost saved by the optimizer's Cheapest plan against first-fit and best-fit on the same
/// tasks (10,000 tasks on 1,000 machines), the time to place 10,000 tasks on 1,000 machines and 100,000 on 12,500
/// from scratch, and CP-SAT's gap and time for Pack with 1,000 tasks on 200 machines (5 s limit).
/// <c>cpu_bill_ratio_vs_*</c>: the machine bill per hour of the Cheapest plan (machine billing) over another method's, on
/// the 10,000-task cpu-only case, each recomputed here from the workload's prices (every machine a plan puts a task on is paid
/// its price), not from the plans' own accounting; <c>bill_ratio_vs_chargeback_objective</c> compares with the
/// Cheapest plan under chargeback (the share-based objective Cheapest had before the bill).
/// <c>cpu_bill_gap_pct</c> is the plan's reported gap to its lower bound. Time ratios are to first-fit on the same input.
/// Then the GPU cluster (<see cref="GpuClusterBenchmark"/>): issue 15's metrics at 1,500 nodes / 8,000 pods
/// (saturated), the same nodes with 3,500 pods (<c>_under</c>), 10x (<c>_10x</c>, without the heuristics), and the
/// online replay.
/// </summary>
public sealed class OptimizerQuickSuite : IQuickSuite
{
    public string Name => "optimizer";

    public Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        var flow = OptimizerWorkload.Optimizer(OptimizerAlgorithm.Auto);

        // Warm up the JIT and OR-Tools' native library on a small instance.
        var warm = OptimizerWorkload.Problem(2_000, 200, PlacementObjective.Cheapest);
        for (var i = 0; i < 3; i++) flow.Solve(warm, cancellationToken);

        var small = OptimizerWorkload.Problem(10_000, 1_000, PlacementObjective.Cheapest);
        var cheapest = flow.Solve(small, cancellationToken);
        var firstFit = OptimizerWorkload.Optimizer(OptimizerAlgorithm.FirstFit).Solve(small, cancellationToken);
        var bestFit = OptimizerWorkload.Optimizer(OptimizerAlgorithm.BestFit).Solve(small, cancellationToken);
        RequireAllPlaced(small, cheapest, firstFit, bestFit);
        output.Write("savings_vs_firstfit_pct", Savings(cheapest, firstFit), "%");
        output.Write("savings_vs_bestfit_pct", Savings(cheapest, bestFit), "%");
        var packPlan = flow.Solve(small with { Objective = PlacementObjective.Pack }, cancellationToken);
        var shareBased = flow.Solve(small with { Billing = BillingMode.Chargeback }, cancellationToken);
        RequireAllPlaced(small, packPlan, shareBased);
        var bill = MachineBill(small, cheapest);
        output.Write("cpu_bill_per_hour", bill, "$/h");
        output.Write("cpu_bill_ratio_vs_firstfit", bill / MachineBill(small, firstFit), "ratio");
        output.Write("cpu_bill_ratio_vs_bestfit", bill / MachineBill(small, bestFit), "ratio");
        output.Write("cpu_bill_ratio_vs_pack", bill / MachineBill(small, packPlan), "ratio");
        output.Write("cpu_bill_ratio_vs_chargeback_objective", bill / MachineBill(small, shareBased), "ratio");
        output.Write("cpu_bill_gap_pct", cheapest.Bill.GapPercent, "%");
        var firstFitMs = MedianMs(() => OptimizerWorkload.Optimizer(OptimizerAlgorithm.FirstFit).Solve(small, cancellationToken), 3);

        var cheapestMs = MedianMs(() => flow.Solve(small, cancellationToken), 5);
        output.Write("ms_10k_1k", cheapestMs, "ms");
        output.Write("cpu_solve_time_ratio_vs_firstfit", cheapestMs / firstFitMs, "ratio");
        var large = OptimizerWorkload.Problem(100_000, 12_500, PlacementObjective.Cheapest);
        output.Write("ms_100k_12500", MedianMs(() => RequireAllPlaced(large, flow.Solve(large, cancellationToken)), 5), "ms");

        var pack = OptimizerWorkload.Problem(1_000, 200, PlacementObjective.Pack);
        var cpSat = OptimizerWorkload.Optimizer(OptimizerAlgorithm.CpSat, TimeSpan.FromSeconds(5));
        PlacementPlan? packed = null;
        var ms = MedianMs(() => packed = RequireAllPlaced(pack, cpSat.Solve(pack, cancellationToken)), 3);
        output.Write("cpsat_gap_pct", (packed!.OptimalityGap ?? double.NaN) * 100, "%");
        output.Write("cpsat_ms", ms, "ms");

        GpuClusterBenchmark.Run(output, 1_500, 8_000, "", heuristics: true, cancellationToken);
        GpuClusterBenchmark.Run(output, 1_500, 3_500, "_under", heuristics: true, cancellationToken);
        GpuClusterBenchmark.Online(output, 300, 2_500, cancellationToken);
        if (Environment.GetEnvironmentVariable("DCOS_QUICK_OPTIMIZER_10X") != "0")
            GpuClusterBenchmark.Run(output, 15_000, 80_000, "_10x", heuristics: false, cancellationToken);
        return Task.CompletedTask;
    }

    private static double Savings(PlacementPlan optimizer, PlacementPlan baseline) => (baseline.TotalCost - optimizer.TotalCost) / baseline.TotalCost * 100;

    /// <summary>Per hour, what the machines a plan uses cost: each at its price once (the workload's machines start idle and have no per-unit prices).</summary>
    private static double MachineBill(PlacementProblem problem, PlacementPlan plan) =>
        plan.Assignments.Select(a => a.MachineIndex).Distinct().Sum(m => problem.Machines[m].Cost.MachinePerHour);

    private static PlacementPlan RequireAllPlaced(PlacementProblem problem, params PlacementPlan[] plans)
    {
        foreach (var plan in plans)
        {
            if (plan.Unplaced.Count > 0)
                throw new InvalidOperationException($"{plan.Statistics.Algorithm} left {plan.Unplaced.Count} of {problem.Tasks.Count} tasks unplaced: {plan.Unplaced[0].Detail}");
        }
        return plans[0];
    }

    private static double MedianMs(Action action, int runs)
    {
        var samples = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return Measure.Median(samples);
    }
}
