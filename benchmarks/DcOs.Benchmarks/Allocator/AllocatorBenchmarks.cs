using BenchmarkDotNet.Attributes;

namespace DcOs.Benchmarks.Allocator;

/// <summary>One full allocation round in the DeclineOffers shape (BenchmarkDotNet).</summary>
[MemoryDiagnoser]
public class AllocatorBenchmarks
{
    private AllocatorWorkload _workload = null!;

    [Params(10_000, 50_000)]
    public int Agents { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = AllocatorWorkload.Create(Agents);

    [GlobalCleanup]
    public void Cleanup() => _workload.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public int Round()
    {
        var offers = _workload.Round();
        _workload.DeclineAll();
        return offers;
    }
}
