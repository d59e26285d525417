using BenchmarkDotNet.Attributes;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Benchmarks.Optimizer;

/// <summary>Placing a batch from scratch (8 tasks per machine) with the min-cost flow, Cheapest and Pack (BenchmarkDotNet).</summary>
[MemoryDiagnoser]
public class OptimizerBenchmarks
{
    private PlacementProblem _cheapest = null!;
    private IPlacementOptimizer _optimizer = null!;

    [Params(1_000, 12_500)]
    public int Machines { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cheapest = OptimizerWorkload.Problem(Machines * 8, Machines, PlacementObjective.Cheapest);
        _optimizer = OptimizerWorkload.Optimizer(OptimizerAlgorithm.Auto);
    }

    [Benchmark]
    public double Cheapest() => _optimizer.Solve(_cheapest).TotalCost;

    [Benchmark]
    public double Fastest() => _optimizer.Solve(_cheapest with { Objective = PlacementObjective.Fastest }).TotalCost;

    [Benchmark]
    public double Spread() => _optimizer.Solve(_cheapest with { Objective = PlacementObjective.Spread }).TotalCost;
}

/// <summary>The optimizer against the greedy baselines on 10,000 tasks and 1,000 machines (BenchmarkDotNet).</summary>
[MemoryDiagnoser]
public class BaselineBenchmarks
{
    private PlacementProblem _problem = null!;
    private IPlacementOptimizer _flow = null!;
    private IPlacementOptimizer _firstFit = null!;
    private IPlacementOptimizer _bestFit = null!;

    [GlobalSetup]
    public void Setup()
    {
        _problem = OptimizerWorkload.Problem(10_000, 1_000, PlacementObjective.Cheapest);
        _flow = OptimizerWorkload.Optimizer(OptimizerAlgorithm.MinCostFlow);
        _firstFit = OptimizerWorkload.Optimizer(OptimizerAlgorithm.FirstFit);
        _bestFit = OptimizerWorkload.Optimizer(OptimizerAlgorithm.BestFit);
    }

    [Benchmark(Baseline = true)]
    public double MinCostFlow() => _flow.Solve(_problem).TotalCost;

    [Benchmark]
    public double FirstFit() => _firstFit.Solve(_problem).TotalCost;

    [Benchmark]
    public double BestFit() => _bestFit.Solve(_problem).TotalCost;
}

/// <summary>CP-SAT packing 1,000 tasks on 200 machines with a 5 s limit (BenchmarkDotNet; few iterations).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class CpSatPackBenchmarks
{
    private PlacementProblem _problem = null!;
    private IPlacementOptimizer _cpSat = null!;

    [GlobalSetup]
    public void Setup()
    {
        _problem = OptimizerWorkload.Problem(1_000, 200, PlacementObjective.Pack);
        _cpSat = OptimizerWorkload.Optimizer(OptimizerAlgorithm.CpSat, TimeSpan.FromSeconds(5));
    }

    [Benchmark]
    public double? Pack() => _cpSat.Solve(_problem).OptimalityGap;
}
