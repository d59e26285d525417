using BenchmarkDotNet.Attributes;
using DcOs.Core;

namespace DcOs.Benchmarks.Core;

/// <summary>The resource algebra on an agent-sized bag (cpus, mem, disk, gpus, ports).</summary>
[MemoryDiagnoser]
public class ResourcesBenchmarks
{
    internal static readonly Resources Agent = Resources.Parse("cpus:32;mem:131072;disk:1000000;gpus:4;ports:[31000-32000]");
    internal static readonly Resources Task = Resources.Parse("cpus:0.5;mem:512;disk:100;ports:[31000-31001]");
    internal static readonly Resources Free = Agent - Task;
    internal static readonly AgentInfo Candidate = new() { Hostname = "h1", Attributes = Attributes.Parse("rack:r1;zone:a") };
    internal static readonly IPlacementTarget[] Placed =
        [.. Enumerable.Range(0, 8).Select(i => new AgentInfo { Hostname = "h" + i, Attributes = Attributes.Parse($"rack:r{i % 3};zone:a") })];
    internal static readonly PlacementConstraint GroupBy = PlacementConstraint.Parse("rack:GROUP_BY:3");

    [Benchmark]
    public Resources Add() => Free + Task;

    [Benchmark]
    public Resources Subtract() => Agent - Task;

    [Benchmark]
    public bool Contains() => Agent.Contains(Task);

    [Benchmark]
    public double DominantShare() => Task.DominantShare(Agent);

    [Benchmark]
    public bool ConstraintGroupBy() => GroupBy.IsSatisfiedBy(Candidate, Placed);
}
