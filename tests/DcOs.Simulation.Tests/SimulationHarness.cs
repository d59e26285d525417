using System.Collections.Concurrent;
using DcOs.Core;
using DcOs.Framework;
using DcOs.Scheduling.Master;
using DcOs.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Simulation.Tests;

/// <summary>
/// A real master on the in-memory transport, a <see cref="ClusterSimulator"/> and SDK frameworks, all on one fake
/// clock (the transport's own heartbeats run on real time: they are the transport's business).
/// </summary>
internal sealed class SimulationHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly ServiceProvider _services;

    public SimulationHarness(Action<MasterOptions>? master = null, Func<SimulatorOptions, SimulatorOptions>? simulator = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        Transport = DcOsTransports.CreateInMemory();
        Options = new MasterOptions { EndPoint = new InMemoryEndPoint("sim-master-" + Guid.NewGuid().ToString("N")) };
        master?.Invoke(Options);
        // Composed as a user hosts it: the master from DI, with this clock and this transport.
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton(Transport);
        services.AddDcOsMaster(o =>
        {
            o.EndPoint = Options.EndPoint;
            master?.Invoke(o);
        });
        _services = services.BuildServiceProvider();
        Master = _services.GetRequiredService<IMaster>();
        var options = new SimulatorOptions { Masters = [Options.EndPoint], Transports = [Transport], Time = Time };
        Cluster = new ClusterSimulator(simulator is null ? options : simulator(options));
    }

    public FakeTimeProvider Time { get; }

    public IDcOsTransport Transport { get; }

    public MasterOptions Options { get; }

    public IMaster Master { get; }

    public ClusterSimulator Cluster { get; }

    public Task StartAsync() => Master.StartAsync();

    /// <summary>Waits until the master handled everything queued so far (any query answers only then).</summary>
    public Task IdleAsync() => Master.GetFrameworksAsync().WaitAsync(Timeout);

    /// <summary>Advances the clock, then waits until the master handled what its timers did and the agents' answers to it.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Time.Advance(by);
        await IdleAsync();
        await Cluster.SyncAsync().WaitAsync(Timeout);
        await IdleAsync();
    }

    public async Task<RecordingScheduler> AddFrameworkAsync(string name, RecordingScheduler? scheduler = null, FrameworkCapabilities capabilities = FrameworkCapabilities.None)
    {
        scheduler ??= new RecordingScheduler();
        var client = DcOsFramework.Create(Transport, new FrameworkOptions
        {
            Master = Options.EndPoint!,
            Framework = new FrameworkInfo { Name = name, Capabilities = capabilities, FailoverTimeout = TimeSpan.FromDays(7) },
        }, scheduler, Time, NullLoggerFactory.Instance);
        scheduler.Driver = client;
        await client.StartAsync();
        await client.Subscribed.WaitAsync(Timeout);
        _owned.Add(client);
        return scheduler;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _owned) await d.DisposeAsync();
        await Cluster.DisposeAsync();
        await _services.DisposeAsync();
    }
}
