using System.Diagnostics;
using DcOs.Benchmarks.Quick;

namespace DcOs.Benchmarks.Allocator;

/// <summary>
/// <c>quick allocator</c>: the median time of one allocation round (offers for every agent) at 10k, 50k and 500k agents
/// with 1,000 frameworks in 10 roles, and the master's managed memory per idle registered agent at 500k.
/// </summary>
public sealed class AllocatorQuickSuite : IQuickSuite
{
    public string Name => "allocator";

    public async Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        // Warm up the JIT (tiered compilation) on a small cluster first, so the 10k figure measures steady state.
        await using (var warm = AllocatorWorkload.Create(10_000))
        {
            for (var i = 0; i < 30; i++)
            {
                warm.Round();
                warm.DeclineAll();
            }
        }
        foreach (var (agents, metric, rounds) in new[] { (10_000, "round_ms_10k", 11), (50_000, "round_ms_50k", 5), (500_000, "round_ms_500k", 3) })
        {
            await using var workload = AllocatorWorkload.Create(agents);
            workload.Round();
            workload.DeclineAll();
            var samples = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                // The garbage of the previous round is collected outside the measurement, so a round pays for its own
                // collections only (at 500k agents a round allocates ~340 MB; a leftover gen2 in one round doubled it).
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var start = Stopwatch.GetTimestamp();
                var offers = workload.Round();
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (offers != agents) throw new InvalidOperationException($"a round made {offers} offers for {agents} agents");
                workload.DeclineAll();
            }
            output.Write(metric, Measure.Median(samples), "ms");
        }
        output.Write("bytes_per_agent_500k", MeasureBytesPerAgent(500_000), "bytes");
    }

    /// <summary>Managed heap growth from registering the agents, divided by their number (after full collections).</summary>
    private static double MeasureBytesPerAgent(int agents)
    {
        var state = AllocatorWorkload.Empty();
        state.AddFrameworks(1000, 10);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        state.AddAgents(agents);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(state);
        return (after - before) / (double)agents;
    }
}
