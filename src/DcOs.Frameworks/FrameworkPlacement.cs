using DcOs.Core.Placement;
using DcOs.Optimization;

namespace DcOs.Frameworks;

/// <summary>How the services and jobs frameworks place their tasks: with the SDK's cost optimizer, over every offer they hold.</summary>
public static class FrameworkPlacement
{
    /// <summary>
    /// The longest one round of offers is planned for: a framework answers its offers only once the plan is made, so a
    /// long search would hold the resources it could not use meanwhile.
    /// </summary>
    public static TimeSpan PlanTimeLimit { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The OR-Tools optimizer with <see cref="PlanTimeLimit"/> and <paramref name="time"/> as its clock (a job's deadline
    /// is judged on the framework's clock).
    /// </summary>
    public static IPlacementOptimizer DefaultOptimizer(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return PlacementOptimizer.Create(OptimizerOptions.Default with { TimeLimit = PlanTimeLimit, TimeProvider = time });
    }
}
