using DcOs.Core;
using DcOs.Scheduling.Allocation;

namespace DcOs.Scheduling.Tests.Allocation;

/// <summary>The allocator on its own: what a round offers, to whom, and how recovered resources come back.</summary>
public sealed class HierarchicalAllocatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static List<AllocationDecision> Round(HierarchicalAllocator allocator, IReadOnlyCollection<int>? slots = null, DateTimeOffset? at = null)
    {
        var decisions = new List<AllocationDecision>();
        allocator.Round(at ?? Now, decisions, slots);
        return decisions;
    }

    [Fact]
    public void A_round_offers_each_agents_free_resources_once_and_nothing_more_until_they_are_recovered()
    {
        var allocator = new HierarchicalAllocator();
        var a = allocator.AddAgent(Resources.Parse("cpus:4;mem:4096"));
        var b = allocator.AddAgent(Resources.Parse("cpus:2;mem:2048"));
        var fw = allocator.AddFramework("fw", ["*"], gpuCapable: false);

        var first = Round(allocator);
        Assert.Equal([a, b], first.Select(d => d.AgentSlot).Order());
        Assert.All(first, d => Assert.Equal(fw, d.Framework));
        Assert.Equal(Resources.Parse("cpus:4;mem:4096"), first.Single(d => d.AgentSlot == a).Resources);
        Assert.Empty(Round(allocator));
        Assert.True(allocator.Free(a).IsEmpty);

        allocator.Recover(a, fw, "*", Resources.Parse("cpus:1;mem:1024"));
        Assert.Equal(Resources.Parse("cpus:1;mem:1024"), allocator.Free(a));
        Assert.Equal([a], allocator.TakeDirtySlots());
        Assert.Empty(allocator.TakeDirtySlots());
        Assert.Equal(Resources.Parse("cpus:1;mem:1024"), Assert.Single(Round(allocator, [a])).Resources);
    }

    [Fact]
    public void An_unusable_agent_is_not_offered_and_is_marked_for_the_next_round_when_usable_again()
    {
        var allocator = new HierarchicalAllocator();
        var slot = allocator.AddAgent(Resources.Parse("cpus:4;mem:4096"));
        allocator.AddFramework("fw", ["*"], gpuCapable: false);
        allocator.SetAgentUsable(slot, false);
        allocator.TakeDirtySlots();

        Assert.Empty(Round(allocator));
        allocator.SetAgentUsable(slot, true);
        Assert.Equal([slot], allocator.TakeDirtySlots());
        Assert.Single(Round(allocator, [slot]));
    }

    [Fact]
    public void The_framework_with_the_lower_dominant_share_is_offered_first()
    {
        var allocator = new HierarchicalAllocator();
        var big = allocator.AddAgent(Resources.Parse("cpus:8;mem:8192"));
        var small = allocator.AddAgent(Resources.Parse("cpus:1;mem:1024"));
        var rich = allocator.AddFramework("rich", ["*"], gpuCapable: false);
        var poor = allocator.AddFramework("poor", ["*"], gpuCapable: false);
        allocator.AddAllocation(big, rich, "*", Resources.Parse("cpus:4;mem:4096"));

        var decision = Assert.Single(Round(allocator, [small]));
        Assert.Equal(poor, decision.Framework);
        Assert.True(allocator.Shares(rich, "*").FrameworkShare > allocator.Shares(poor, "*").FrameworkShare);
    }

    [Fact]
    public void A_decline_filter_keeps_the_agent_from_that_framework_until_it_expires()
    {
        var allocator = new HierarchicalAllocator();
        var slot = allocator.AddAgent(Resources.Parse("cpus:4;mem:4096"));
        var declining = allocator.AddFramework("declining", ["a"], gpuCapable: false);
        var other = allocator.AddFramework("other", ["b"], gpuCapable: false);
        allocator.AddFilter(declining, slot, Now + TimeSpan.FromSeconds(5));
        allocator.SetFrameworkActive(other, false);

        Assert.Empty(Round(allocator));
        Assert.Equal(declining, Assert.Single(Round(allocator, at: Now + TimeSpan.FromSeconds(5))).Framework);
    }

    [Fact]
    public void A_filter_refuses_what_was_declined_but_more_freed_on_the_agent_is_offered_at_once()
    {
        var allocator = new HierarchicalAllocator();
        var slot = allocator.AddAgent(Resources.Parse("cpus:4;mem:4096"));
        var fw = allocator.AddFramework("fw", ["*"], gpuCapable: false);
        allocator.AddAllocation(slot, fw, "*", Resources.Parse("cpus:3.5;mem:3584"));

        // Offered the rest, it declines it (too small for its work) with a 5 s filter on exactly that.
        var rest = Assert.Single(Round(allocator)).Resources;
        allocator.Recover(slot, fw, "*", rest);
        allocator.AddFilter(fw, slot, Now + TimeSpan.FromSeconds(5), rest);
        Assert.Empty(Round(allocator, at: Now + TimeSpan.FromSeconds(1)));

        // A task of it ends there: the agent has more than was refused, and is offered before the filter ends.
        allocator.Recover(slot, fw, "*", Resources.Parse("cpus:1;mem:1024"));
        var offer = Assert.Single(Round(allocator, at: Now + TimeSpan.FromSeconds(1)));
        Assert.Equal(1.5, offer.Resources.Cpus);
    }

    [Fact]
    public void A_suppressed_framework_is_not_offered_until_it_revives()
    {
        var allocator = new HierarchicalAllocator();
        allocator.AddAgent(Resources.Parse("cpus:4;mem:4096"));
        var fw = allocator.AddFramework("fw", ["*"], gpuCapable: false);
        allocator.Suppress(fw, []);
        Assert.True(allocator.IsSuppressed(fw));
        Assert.Empty(Round(allocator));
        allocator.Revive(fw, []);
        Assert.False(allocator.IsSuppressed(fw));
        Assert.Single(Round(allocator));
    }

    [Fact]
    public void Gpu_agents_go_only_to_frameworks_with_the_gpu_capability_and_the_others_are_told_why()
    {
        var allocator = new HierarchicalAllocator();
        var rejected = new List<(int, PlacementReason)>();
        allocator.OnRejected = (fw, reason) => rejected.Add((fw, reason));
        allocator.AddAgent(Resources.Parse("cpus:4;mem:4096;gpus:1"));
        var plain = allocator.AddFramework("plain", ["*"], gpuCapable: false);

        Assert.Empty(Round(allocator));
        Assert.Contains((plain, PlacementReason.GpuCapability), rejected);
        var gpu = allocator.AddFramework("gpu", ["*"], gpuCapable: true);
        Assert.Equal(gpu, Assert.Single(Round(allocator)).Framework);
    }

    [Fact]
    public void Resources_recovered_for_a_removed_framework_go_back_to_the_agent_and_charge_no_one()
    {
        var allocator = new HierarchicalAllocator();
        var slot = allocator.AddAgent(Resources.Parse("cpus:4;mem:4096"));
        var gone = allocator.AddFramework("gone", ["*"], gpuCapable: false);
        var offered = Assert.Single(Round(allocator)).Resources;
        allocator.RemoveFramework(gone);

        allocator.Recover(slot, gone, "*", offered);

        Assert.Equal(Resources.Parse("cpus:4;mem:4096"), allocator.Free(slot));
        var next = allocator.AddFramework("next", ["*"], gpuCapable: false);
        Assert.Equal(gone, next); // the handle is reused
        Assert.Equal(0, allocator.Shares(next, "*").FrameworkShare);
    }

    [Fact]
    public void A_role_at_its_quota_limit_is_offered_no_more_than_the_limit()
    {
        var allocator = new HierarchicalAllocator(quotas: new Dictionary<string, RoleQuota> { ["capped"] = new RoleQuota(Resources.Empty, Resources.Parse("cpus:2;mem:2048")) });
        allocator.AddAgent(Resources.Parse("cpus:8;mem:8192"));
        allocator.AddFramework("fw", ["capped"], gpuCapable: false);

        var decision = Assert.Single(Round(allocator));
        Assert.Equal(2, decision.Resources.Cpus);
        Assert.Equal(2048, decision.Resources.MemMb);
    }
}
