using DcOs.Benchmarks.Quick;

namespace DcOs.Benchmarks.Core;

/// <summary><c>quick core</c>: nanoseconds per resource-algebra operation and constraint evaluation.</summary>
public sealed class CoreQuickSuite : IQuickSuite
{
    public string Name => "core";

    public Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        var b = new ResourcesBenchmarks();
        output.Write("resources_add_ns", Measure.MedianNanosPerOp(() => b.Add(), 20_000), "ns");
        output.Write("resources_subtract_ns", Measure.MedianNanosPerOp(() => b.Subtract(), 20_000), "ns");
        output.Write("resources_contains_ns", Measure.MedianNanosPerOp(() => b.Contains(), 50_000), "ns");
        output.Write("dominant_share_ns", Measure.MedianNanosPerOp(() => b.DominantShare(), 50_000), "ns");
        output.Write("constraint_group_by_ns", Measure.MedianNanosPerOp(() => b.ConstraintGroupBy(), 20_000), "ns");
        return Task.CompletedTask;
    }
}
