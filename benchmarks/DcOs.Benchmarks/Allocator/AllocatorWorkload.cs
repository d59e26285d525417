using DcOs.Core;
using DcOs.Scheduling.Allocation;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;

namespace DcOs.Benchmarks.Allocator;

/// <summary>
/// Mesos' DeclineOffers benchmark shape: equal agents, 1,000 frameworks in several roles, and between rounds every
/// framework declines everything it was offered (no filter), so each measured round allocates every agent anew.
/// Agents and frameworks go straight into the master's state tables (no connections), as a simulation does, and a
/// round is what the master's loop runs: the allocator's decisions turned into offers in the offer book. Each agent
/// has its own parsed resources, attributes and strings, as if read from the wire.
/// </summary>
internal sealed class AllocatorWorkload : IAsyncDisposable
{
    private readonly HierarchicalAllocator _allocator = new();
    private readonly StoreChangeSet _changes = new();
    private readonly AgentTable _agents;
    private readonly FrameworkTable _frameworks;
    private readonly OfferBook _offers;
    private readonly List<AllocationDecision> _decisions = [];

    private AllocatorWorkload()
    {
        _agents = new AgentTable(_allocator, _changes);
        _frameworks = new FrameworkTable(_allocator, _changes);
        _offers = new OfferBook(_allocator, "bench");
    }

    public static AllocatorWorkload Create(int agents, int frameworks = 1000, int roles = 10)
    {
        var workload = new AllocatorWorkload();
        workload.AddAgents(agents);
        workload.AddFrameworks(frameworks, roles);
        return workload;
    }

    public static AllocatorWorkload Empty() => new();

    public void AddAgents(int count)
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            _agents.Add(new AgentInfo
            {
                Id = new AgentId($"bench0001-S{i}"),
                Hostname = $"agent-{i:D6}.dc1.example.com",
                Resources = Resources.Parse("cpus:16;mem:65536;disk:500000;ports:[31000-32000]"),
                Attributes = Attributes.Parse($"rack:r{i % 100};zone:z{i % 3}"),
                Zone = $"z{i % 3}",
            }, now);
        }
    }

    public void AddFrameworks(int count, int roles)
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
            _frameworks.Add(new FrameworkInfo { Id = new FrameworkId($"fw-{i:D4}"), Name = $"framework-{i}", Roles = [$"role{i % roles}"] }, now);
    }

    /// <summary>One round over every agent; returns the number of offers made.</summary>
    public int Round()
    {
        _decisions.Clear();
        _allocator.Round(DateTimeOffset.UtcNow, _decisions);
        _offers.AddAll(_decisions, _agents, _frameworks, expiresAt: null);
        return _decisions.Count;
    }

    /// <summary>Every framework declines what it holds (the next full round forgets which agents that changed).</summary>
    public void DeclineAll()
    {
        foreach (var offer in _offers.All()) _offers.Recover(offer);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
