using DcOs.Core.Placement;
using DcOs.Optimization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OR-Tools cost optimizer as the application's <see cref="IPlacementOptimizer"/>.</summary>
public static class DcOsOptimizerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPlacementOptimizer"/> (unless one is already registered): the master's batch placement and
    /// a framework's offer planning both take it from the container. Without <paramref name="options"/>, the defaults
    /// with the container's <see cref="TimeProvider"/> (so a test's fake clock is the optimizer's "now").
    /// </summary>
    /// <exception cref="DcOs.Core.ValidationException">An option is out of range; the field is named.</exception>
    public static IServiceCollection AddDcOsCostOptimizer(this IServiceCollection services, OptimizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (options is not null) _ = PlacementOptimizer.Create(options); // fail at registration, not at the first solve
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => PlacementOptimizer.Create(options ?? OptimizerOptions.Default with { TimeProvider = sp.GetRequiredService<TimeProvider>() }));
        return services;
    }
}
