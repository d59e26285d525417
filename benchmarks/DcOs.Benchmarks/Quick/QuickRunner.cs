using DcOs.Benchmarks.Allocator;
using DcOs.Benchmarks.Core;
using DcOs.Benchmarks.Transport;

namespace DcOs.Benchmarks.Quick;

/// <summary>Finds quick suites by name and runs them; later issues add suites to <see cref="Suites"/>.</summary>
public static class QuickRunner
{
    private static readonly IQuickSuite[] Suites =
    [
        new CoreQuickSuite(),
        new TransportQuickSuite(),
        new AllocatorQuickSuite(),
        new DcOs.Benchmarks.Agent.AgentQuickSuite(),
        new DcOs.Benchmarks.Optimizer.OptimizerQuickSuite(),
        new DcOs.Benchmarks.Cluster.ClusterQuickSuite(),
        new DcOs.Benchmarks.Frameworks.FrameworksQuickSuite(),
        new DcOs.Benchmarks.Scale.ScaleQuickSuite(),
    ];

    public static async Task<int> RunAsync(string[] names, TextWriter output)
    {
        if (names.Length == 0)
        {
            await Console.Error.WriteLineAsync("usage: quick <suite>... | all   (suites: " + string.Join(", ", Suites.Select(s => s.Name)) + ")");
            return 2;
        }
        var chosen = names is ["all"] ? Suites : names.Select(n => Suites.FirstOrDefault(s => s.Name == n)).ToArray();
        var unknown = names.Where(n => n != "all" && Suites.All(s => s.Name != n)).ToArray();
        if (unknown.Length > 0)
        {
            await Console.Error.WriteLineAsync($"unknown suite(s): {string.Join(", ", unknown)}; known: {string.Join(", ", Suites.Select(s => s.Name))}");
            return 2;
        }
        foreach (var suite in chosen)
        {
            await suite!.RunAsync(new MetricWriter(output, suite.Name), CancellationToken.None);
        }
        return 0;
    }
}
