using DcOs.Core;
using DcOs.Scheduling.Allocation;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>Mesos' allocator scenarios (shared/reference/mesos-scenarios.md items 1, 3, 4, 5) as black-box tests.</summary>
public sealed class AllocationScenarioTests
{
    [Fact]
    public async Task Drf_across_roles_gives_each_new_agent_to_the_role_with_the_lowest_share()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var f1 = await h.AddFrameworkAsync("f1", "role1");
        var a1 = await h.AddAgentAsync("cpus:2;mem:1024");
        Assert.Equal(a1.Id, (await f1.NextOfferAsync()).AgentId);

        var f2 = await h.AddFrameworkAsync("f2", "role2");
        var a2 = await h.AddAgentAsync("cpus:1;mem:512");
        Assert.Equal(a2.Id, (await f2.NextOfferAsync()).AgentId);

        // role2's share 0.16 < role1's 0.33.
        var a3 = await h.AddAgentAsync("cpus:3;mem:2048");
        Assert.Equal(a3.Id, (await f2.NextOfferAsync()).AgentId);

        // role1 (0.2) < role2 (0.4); inside role1, f3 holds nothing.
        var f3 = await h.AddFrameworkAsync("f3", "role1");
        var a4 = await h.AddAgentAsync("cpus:4;mem:4096");
        Assert.Equal(a4.Id, (await f3.NextOfferAsync()).AgentId);

        // role2 (0.36) < role1 (0.63) even though f4 in role1 holds nothing.
        var f4 = await h.AddFrameworkAsync("f4", "role1");
        var a5 = await h.AddAgentAsync("cpus:1;mem:512");
        Assert.Equal(a5.Id, (await f2.NextOfferAsync()).AgentId);

        await f1.AssertNoOfferAsync();
        await f3.AssertNoOfferAsync();
        await f4.AssertNoOfferAsync();
    }

    [Fact]
    public async Task Equal_shares_alternate_so_each_framework_gets_half_the_offers()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var f1 = await h.AddFrameworkAsync("f1", "web");
        var f2 = await h.AddFrameworkAsync("f2", "web");
        await h.AddAgentAsync("cpus:2;mem:1024");
        var counts = new Dictionary<TestScheduler, int> { [f1] = 0, [f2] = 0 };
        for (var round = 0; round < 10; round++)
        {
            var (who, offer) = await NextOfferOfEitherAsync(f1, f2);
            counts[who]++;
            await who.Driver.DeclineAsync([offer.Id], new Filters(0));
            await h.SettleAsync(who);
            await h.AdvanceAsync(h.Options.AllocationInterval);
        }
        Assert.Equal(5, counts[f1]);
        Assert.Equal(5, counts[f2]);
    }

    private static async Task<(TestScheduler, Offer)> NextOfferOfEitherAsync(TestScheduler a, TestScheduler b)
    {
        var ta = a.Offers.Reader.WaitToReadAsync().AsTask();
        var tb = b.Offers.Reader.WaitToReadAsync().AsTask();
        await Task.WhenAny(ta, tb).WaitAsync(MasterHarness.Timeout);
        if (a.Offers.Reader.TryRead(out var oa)) return (a, oa);
        Assert.True(b.Offers.Reader.TryRead(out var ob));
        return (b, ob!);
    }

    [Fact]
    public async Task A_decline_filter_holds_for_its_time_revive_is_idempotent_and_suppress_stops_offers()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", "web");
        await h.AddAgentAsync("cpus:2;mem:1024");
        var offer = await fw.NextOfferAsync();

        var interval = h.Options.AllocationInterval;
        await fw.Driver.DeclineAsync([offer.Id], new Filters((interval * 2).TotalSeconds));
        await h.SettleAsync(fw);
        await h.AdvanceAsync(interval);
        await fw.AssertNoOfferAsync();
        await h.AdvanceAsync(interval);
        offer = await fw.NextOfferAsync();

        // A redundant revive while the whole agent is held produces nothing new.
        await fw.Driver.ReviveAsync();
        await h.SettleAsync(fw);
        await fw.AssertNoOfferAsync();

        // Suppressed: nothing, even after an interval.
        await fw.Driver.SuppressAsync();
        await fw.Driver.DeclineAsync([offer.Id], new Filters(0));
        await h.SettleAsync(fw);
        await h.AdvanceAsync(interval);
        await fw.AssertNoOfferAsync();

        // Revive: the whole agent at once.
        await fw.Driver.ReviveAsync();
        await h.SettleAsync(fw);
        var back = await fw.NextOfferAsync();
        Assert.Equal(2, back.Resources.Cpus);
        Assert.Equal(1024, back.Resources.MemMb);
    }

    [Fact]
    public async Task A_quota_guarantee_is_served_first_and_held_back_from_other_roles()
    {
        await using var h = new MasterHarness(o => o.RoleQuotas["qr"] = new RoleQuota(Resources.Parse("cpus:2;mem:1024")));
        await h.StartAsync();
        var quota = await h.AddFrameworkAsync("fq", "qr");
        var other = await h.AddFrameworkAsync("fn", "nr");
        var a1 = await h.AddAgentAsync("cpus:1;mem:512");
        var a2 = await h.AddAgentAsync("cpus:1;mem:512");
        var o1 = await quota.NextOfferAsync();
        var o2 = await quota.NextOfferAsync();
        Assert.Equal([a1.Id, a2.Id], new[] { o1.AgentId, o2.AgentId }.Order());
        await other.AssertNoOfferAsync();

        var interval = h.Options.AllocationInterval;
        var declined = o1.AgentId == a2.Id ? o1 : o2;
        await quota.Driver.DeclineAsync([declined.Id], new Filters((interval * 2).TotalSeconds));
        await h.SettleAsync(quota);
        await h.AdvanceAsync(interval);
        await other.AssertNoOfferAsync();
        await h.AdvanceAsync(interval);
        Assert.Equal(a2.Id, (await quota.NextOfferAsync()).AgentId);
        await other.AssertNoOfferAsync();
    }

    [Fact]
    public async Task A_gpu_agent_is_offered_only_to_frameworks_with_the_gpu_capability()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var cpuOnly = await h.AddFrameworkAsync("cpu", "a");
        var gpu = await h.AddFrameworkAsync("gpu", "b", FrameworkCapabilities.GpuResources);
        var gpuAgent = await h.AddAgentAsync("cpus:8;mem:8192;gpus:2");
        Assert.Equal(gpuAgent.Id, (await gpu.NextOfferAsync()).AgentId);
        await cpuOnly.AssertNoOfferAsync();
        var counts = await h.Master.GetRejectionCountsAsync(cpuOnly.Driver.FrameworkId);
        Assert.True(counts.GetValueOrDefault(PlacementReason.GpuCapability) >= 1);
    }

    [Fact]
    public async Task A_quota_limit_caps_what_a_role_is_offered()
    {
        await using var h = new MasterHarness(o => o.RoleQuotas["capped"] = new RoleQuota(Resources.Empty, Resources.Parse("cpus:1;mem:256")));
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f", "capped");
        await h.AddAgentAsync("cpus:4;mem:4096");
        var offer = await fw.NextOfferAsync();
        Assert.Equal(1, offer.Resources.Cpus);
        Assert.Equal(256, offer.Resources.MemMb);
    }
}
