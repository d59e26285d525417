using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Optimization.Internal;

namespace DcOs.Optimization;

/// <summary>Creates the OR-Tools placement optimizer.</summary>
public static class PlacementOptimizer
{
    /// <summary>An optimizer with <paramref name="options"/> (defaults when null); safe to share between threads.</summary>
    /// <exception cref="ValidationException">An option is out of range; the field is named (e.g. <c>options.timeLimit</c>).</exception>
    public static IPlacementOptimizer Create(OptimizerOptions? options = null)
    {
        options ??= OptimizerOptions.Default;
        ProblemValidator.ValidateOptions(options);
        return new CostOptimizer(options);
    }
}
