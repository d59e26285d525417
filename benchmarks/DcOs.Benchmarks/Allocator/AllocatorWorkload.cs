using DcOs.Core;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;
using DcOs.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Benchmarks.Allocator;

/// <summary>
/// Mesos' DeclineOffers benchmark shape: equal agents, 1,000 frameworks in several roles, and between rounds every
/// framework declines everything it was offered (no filter), so each measured round allocates every agent anew.
/// Agents and frameworks are registered straight into the master's state (no connections), as a simulation does;
/// each agent has its own parsed resources, attributes and strings, as if read from the wire.
/// </summary>
public sealed class AllocatorWorkload : IAsyncDisposable
{
    private readonly MasterEngine _master;

    private AllocatorWorkload(MasterEngine master) => _master = master;

    internal MasterEngine Master => _master;

    public static AllocatorWorkload Create(int agents, int frameworks = 1000, int roles = 10)
    {
        var master = NewMaster();
        AddAgents(master, agents);
        AddFrameworks(master, frameworks, roles);
        return new AllocatorWorkload(master);
    }

    internal static MasterEngine NewMaster() =>
        new(new MasterOptions { EndPoint = new InMemoryEndPoint("bench") }, DcOsTransports.CreateInMemory(), MasterStores.InMemory(), TimeProvider.System, NullLoggerFactory.Instance);

    internal static void AddAgents(MasterEngine master, int count)
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            master.AddAgent(new AgentInfo
            {
                Id = new AgentId($"bench0001-S{i}"),
                Hostname = $"agent-{i:D6}.dc1.example.com",
                Resources = Resources.Parse("cpus:16;mem:65536;disk:500000;ports:[31000-32000]"),
                Attributes = Attributes.Parse($"rack:r{i % 100};zone:z{i % 3}"),
                Zone = $"z{i % 3}",
            }, now);
        }
    }

    internal static void AddFrameworks(MasterEngine master, int count, int roles)
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
            master.AddFramework(new FrameworkInfo { Id = new FrameworkId($"fw-{i:D4}"), Name = $"framework-{i}", Roles = [$"role{i % roles}"] }, now);
    }

    /// <summary>One round over every agent; returns the number of offers made.</summary>
    public int Round() => _master.RunRound(null);

    /// <summary>Every framework declines what it holds.</summary>
    public void DeclineAll() => _master.DeclineAllOffers();

    public ValueTask DisposeAsync() => _master.DisposeAsync();
}
