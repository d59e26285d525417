using DcOs.Framework;
using DcOs.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts framework schedulers in an application, one framework per scheduler type.</summary>
public static class DcOsFrameworkServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TScheduler"/> (a singleton) and an <see cref="IFrameworkClient"/> that connects it
    /// to the master when the host starts, reconnecting and re-subscribing with its framework id as needed. Call it once
    /// per scheduler type to host several frameworks in one process: each has its own options (named after the
    /// scheduler type), its own client (<see cref="GetFrameworkClient{TScheduler}"/>) and its own connection. The
    /// unkeyed <see cref="IFrameworkClient"/> is the first framework registered.
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TScheduler"/> is already hosted: one scheduler instance is one framework, so a second framework needs a second type.</exception>
    public static IServiceCollection AddDcOsFramework<TScheduler>(this IServiceCollection services, Action<FrameworkOptions> configure)
        where TScheduler : class, IFrameworkScheduler
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddDcOsFramework<TScheduler>((options, _) => configure(options));
    }

    /// <summary>
    /// As <see cref="AddDcOsFramework{TScheduler}(IServiceCollection, Action{FrameworkOptions})"/>, with the options
    /// configured from the container when the framework starts (e.g. the endpoint of a master hosted in the same
    /// process, registered and so started before it).
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TScheduler"/> is already hosted.</exception>
    public static IServiceCollection AddDcOsFramework<TScheduler>(this IServiceCollection services, Action<FrameworkOptions, IServiceProvider> configure)
        where TScheduler : class, IFrameworkScheduler
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var key = typeof(TScheduler);
        if (services.Any(d => d.ServiceType == typeof(FrameworkRegistration) && d.ImplementationInstance is FrameworkRegistration r && r.Scheduler == key))
            throw new InvalidOperationException($"{key.Name} is already hosted as a framework: one scheduler instance is one framework, so a second framework needs a second scheduler type");
        services.AddSingleton(new FrameworkRegistration(key));
        services.AddDcOsTransport();
        var name = OptionsName(key);
        // Validated when the framework starts (DcOsFramework.Create), not with the host's options: a master in the same
        // host has no endpoint before its own hosted service has started.
        services.AddOptions<FrameworkOptions>(name).Configure<IServiceProvider>((options, sp) => configure(options, sp));
        services.TryAddSingleton<TScheduler>();
        services.AddKeyedSingleton<IFrameworkClient>(key, (sp, _) => DcOsFramework.Create(
            sp.GetRequiredService<IDcOsTransport>(),
            sp.GetRequiredService<IOptionsMonitor<FrameworkOptions>>().Get(name),
            sp.GetRequiredService<TScheduler>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<IFrameworkClient>(key));
        services.AddSingleton<IHostedService>(sp => new FrameworkHostedService(sp, key));
        return services;
    }

    /// <summary>The client of the framework that <typeparamref name="TScheduler"/> was registered for.</summary>
    /// <exception cref="InvalidOperationException">No framework was registered for <typeparamref name="TScheduler"/>.</exception>
    public static IFrameworkClient GetFrameworkClient<TScheduler>(this IServiceProvider services)
        where TScheduler : class, IFrameworkScheduler
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetRequiredKeyedService<IFrameworkClient>(typeof(TScheduler));
    }

    private static string OptionsName(Type scheduler) => "DcOs.Framework:" + scheduler.FullName;

    /// <summary>Marks a scheduler type as hosted, so a second registration is refused instead of silently merged.</summary>
    private sealed record FrameworkRegistration(Type Scheduler);

    /// <summary>Creates the client when the host starts it (after the services registered before it), not when the host is built.</summary>
    private sealed class FrameworkHostedService(IServiceProvider services, Type key) : IHostedService
    {
        private IFrameworkClient? _client;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _client = services.GetRequiredKeyedService<IFrameworkClient>(key);
            return _client.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => _client?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }
}
