using DcOs.Core;
using DcOs.Simulation.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Simulation;

/// <summary>
/// A cluster without machines: any number of <see cref="SimulatedAgent"/>s registered with a real master (hosted by
/// the test, over the in-memory transport or TCP), for testing framework schedulers and masters at scale. Every delay
/// reads <see cref="SimulatorOptions.Time"/>, so with a fake clock a test runs hours of cluster time in seconds.
/// </summary>
/// <example>
/// <code>
/// var transport = DcOsTransports.CreateInMemory();
/// await using var master = new MasterEngine(new MasterOptions { EndPoint = new InMemoryEndPoint("m") }, transport, MasterStores.InMemory(), time, loggers);
/// await master.StartAsync();
/// await using var cluster = new ClusterSimulator(new SimulatorOptions { Masters = [master.LocalEndPoint!], Transports = [transport], Time = time });
/// await cluster.AddAgentsAsync(50_000);
/// </code>
/// </example>
public sealed class ClusterSimulator : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly List<SimulatedAgent> _agents = [];
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource? _allAcknowledged;
    private bool _disposed;

    /// <summary>Creates an empty cluster; <see cref="AddAgentsAsync"/> brings the agents up.</summary>
    public ClusterSimulator(SimulatorOptions options, ILoggerFactory? loggers = null)
    {
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        Logger = loggers?.CreateLogger("DcOs.Simulation") ?? NullLogger.Instance;
        Clock = new SimulationClock(options.Time, e => SimulatorLog.ActionFailed(Logger, e));
    }

    /// <summary>The agents added so far, in the order they were added.</summary>
    public IReadOnlyList<SimulatedAgent> Agents
    {
        get
        {
            lock (_lock) return [.. _agents];
        }
    }

    /// <summary>What the agents did so far.</summary>
    public SimulatorCounters Counters => Stats.Snapshot();

    internal SimulatorOptions Options { get; }

    internal SimulationClock Clock { get; }

    internal SimulatorStats Stats { get; } = new();

    internal ILogger Logger { get; }

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// The agent description the repository's scale benchmark uses: 8 cpus, 32 GiB, 100 GB of disk, ports
    /// 31000-32000 and six attributes (rack of 400, zone of 3, os, kernel, instance type, pool), as a fleet server reports.
    /// </summary>
    public static AgentInfo RealisticAgent(int index) => new()
    {
        Hostname = $"sim-{index:D6}",
        Resources = Resources.Parse("cpus:8;mem:32768;disk:100000;ports:[31000-32000]"),
        Attributes = Attributes.Parse($"rack:rack-{index % 400:D3};zone:zone-{index % 3};os:debian-13;kernel:6.12.48;instance:m6i.2xlarge;pool:general-purpose"),
    };

    /// <summary>Adds one agent and waits until a master registered it; throws when the master refused it.</summary>
    public async Task<SimulatedAgent> AddAgentAsync(AgentInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        SimulatedAgent agent;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            agent = new SimulatedAgent(this, _agents.Count, info);
            _agents.Add(agent);
        }
        agent.Connect();
        await agent.FirstRegistration.WaitAsync(cancellationToken).ConfigureAwait(false);
        return agent;
    }

    /// <summary>
    /// Adds <paramref name="count"/> agents described by <paramref name="describe"/> (given each agent's index; default
    /// <see cref="RealisticAgent"/>) with <see cref="SimulatorOptions.RegistrationConcurrency"/> registrations in flight,
    /// and waits until all are registered.
    /// </summary>
    public async Task<IReadOnlyList<SimulatedAgent>> AddAgentsAsync(int count, Func<int, AgentInfo>? describe = null, CancellationToken cancellationToken = default)
    {
        if (count is < 1 or > 10_000_000) throw new ArgumentOutOfRangeException(nameof(count), count, "must be between 1 and 10,000,000");
        describe ??= RealisticAgent;
        int first;
        lock (_lock) first = _agents.Count;
        using var gate = new SemaphoreSlim(Options.RegistrationConcurrency);
        var added = new SimulatedAgent[count];
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                added[i] = await AddAgentAsync(describe(first + i), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        return added;
    }

    /// <summary>
    /// A barrier for tests on a fake clock: completes once each registered agent (not cut off) has handled everything
    /// the master sent it before the call (pings, launches, acknowledgements) and the master has handled what the agent
    /// sent back (pongs, updates), so the next tick finds answering agents answered. Per agent, two requests in a row:
    /// the master's answer to the first comes behind what it sent earlier, the answer to the second behind what the
    /// agent sent in reply. An agent whose connection closes meanwhile is skipped.
    /// </summary>
    public async Task SyncAsync(CancellationToken cancellationToken = default)
    {
        foreach (var chunk in Agents.Chunk(4096)) await Task.WhenAll(chunk.Select(a => a.SyncAsync(cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Completes when every update the agents emitted so far has been acknowledged (at once when none waits).</summary>
    public Task WhenAllAcknowledgedAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (Stats.Snapshot().UpdatesPending == 0) return Task.CompletedTask;
            _allAcknowledged ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _allAcknowledged.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>An agent got an acknowledgement.</summary>
    internal void Acknowledged()
    {
        Interlocked.Increment(ref Stats.UpdatesAcknowledged);
        CheckAllAcknowledged();
    }

    /// <summary>Wakes <see cref="WhenAllAcknowledgedAsync"/> when no update waits any more (after an acknowledgement or a removal).</summary>
    internal void CheckAllAcknowledged()
    {
        if (Stats.Snapshot().UpdatesPending != 0) return;
        lock (_lock)
        {
            if (Stats.Snapshot().UpdatesPending != 0) return;
            _allAcknowledged?.TrySetResult();
            _allAcknowledged = null;
        }
    }

    /// <summary>Closes every agent's connection; the agents do not come back.</summary>
    public async ValueTask DisposeAsync()
    {
        SimulatedAgent[] agents;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            agents = [.. _agents];
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        Clock.Dispose();
        foreach (var chunk in agents.Chunk(1024)) await Task.WhenAll(chunk.Select(a => a.StopAsync())).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
