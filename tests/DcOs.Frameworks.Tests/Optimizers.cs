using DcOs.Core.Placement;
using DcOs.Optimization;

namespace DcOs.Frameworks.Tests;

/// <summary>The SDK's cost optimizer on a test's clock, as a host registers it (the frameworks take it, not a stand-in).</summary>
internal static class Optimizers
{
    public static IPlacementOptimizer On(TimeProvider time) =>
        PlacementOptimizer.Create(OptimizerOptions.Default with { TimeLimit = TimeSpan.FromSeconds(1), TimeProvider = time });
}
