using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Frameworks;
using DcOs.Frameworks.Jobs;
using DcOs.Frameworks.Services;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts the services and jobs frameworks in an application, each on its own connection to the master.</summary>
public static class DcOsFrameworksServiceCollectionExtensions
{
    /// <summary>
    /// Keeps the frameworks' state in <paramref name="store"/> (e.g. <c>FrameworkStores.Sqlite("frameworks.db")</c>);
    /// without it they keep it in memory only.
    /// </summary>
    public static IServiceCollection AddDcOsFrameworkStore(this IServiceCollection services, Func<IServiceProvider, IFrameworkStore> store)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(store);
        services.RemoveAll<IFrameworkStore>();
        services.AddSingleton(store);
        return services;
    }

    /// <summary>
    /// Registers the <see cref="ServicesFramework"/> (placing with the container's <see cref="IPlacementOptimizer"/>, which
    /// <c>AddDcOsCostOptimizer()</c> registers) and connects it to the master when the host starts, subscribing with
    /// the framework id it saved (so that a restart keeps its tasks). <paramref name="configure"/> sets where the master
    /// is and the credentials; <see cref="FrameworkOptions.Framework"/> is already <see cref="ServicesFramework.Info"/>.
    /// </summary>
    public static IServiceCollection AddDcOsServices(this IServiceCollection services, Action<FrameworkOptions, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddStoreAndClock(services);
        services.TryAddSingleton(sp => new ServicesFramework(sp.GetRequiredService<IFrameworkStore>(), sp.GetRequiredService<TimeProvider>(), Optimizer(sp)));
        return services.AddDcOsFramework<ServicesFramework>((o, sp) =>
        {
            o.Framework = ServicesFramework.Info(sp.GetRequiredService<ServicesFramework>().SavedId);
            configure(o, sp);
        });
    }

    /// <summary>
    /// Registers the <see cref="JobsFramework"/> and connects it to the master when the host starts, as
    /// <see cref="AddDcOsServices"/> does for services.
    /// </summary>
    public static IServiceCollection AddDcOsJobs(this IServiceCollection services, Action<FrameworkOptions, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddStoreAndClock(services);
        services.TryAddSingleton(sp => new JobsFramework(sp.GetRequiredService<IFrameworkStore>(), sp.GetRequiredService<TimeProvider>(), Optimizer(sp)));
        return services.AddDcOsFramework<JobsFramework>((o, sp) =>
        {
            o.Framework = JobsFramework.Info(sp.GetRequiredService<JobsFramework>().SavedId);
            configure(o, sp);
        });
    }

    /// <summary>The container's optimizer: a hosted framework that could place nothing fails when the host starts, not later.</summary>
    private static IPlacementOptimizer Optimizer(IServiceProvider sp) => sp.GetService<IPlacementOptimizer>()
        ?? throw new InvalidOperationException("the services and jobs frameworks place with the SDK's optimizer: register one with services.AddDcOsCostOptimizer() (package DcOs.Optimization)");

    private static void AddStoreAndClock(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => FrameworkStores.InMemory());
    }
}
