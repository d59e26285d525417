using DcOs.Core;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>The centralized mode: a framework hands the master a batch and the master places it with the optimizer.</summary>
public sealed class BatchPlacementTests
{
    [Fact]
    public async Task The_master_places_a_batch_for_the_smallest_bill_launches_it_and_explains_the_rest()
    {
        await using var h = new MasterHarness();
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("batch");
        var expensive = await FakeAgent.RegisterAsync(h.Transport, h.EndPoint, new AgentInfo
        {
            Hostname = "expensive",
            Resources = Resources.Parse("cpus:4;mem:4096"),
            Cost = new CostModel { MachinePerHour = 4.0 },
        });
        var cheap = await FakeAgent.RegisterAsync(h.Transport, h.EndPoint, new AgentInfo
        {
            Hostname = "cheap",
            Resources = Resources.Parse("cpus:2;mem:2048"),
            Cost = new CostModel { MachinePerHour = 0.5 },
        });
        await h.IdleAsync();
        // The framework holds offers for both agents; decline them so the resources are free for the batch.
        var o1 = await fw.NextOfferAsync();
        var o2 = await fw.NextOfferAsync();
        await fw.Driver.DeclineAsync([o1.Id, o2.Id], new Filters(600));
        await h.SettleAsync(fw);

        TaskSpec Task(string id, string resources) => new() { Id = new TaskId(id), Command = CommandSpec.FromShell("sleep 60"), Resources = Resources.Parse(resources) };
        var result = await fw.Driver.PlaceTasksAsync([Task("a", "cpus:1;mem:512"), Task("b", "cpus:1;mem:512"), Task("c", "cpus:1;mem:512"), Task("huge", "cpus:64;mem:512")]);

        var placed = result.Placed.ToDictionary(p => p.TaskId.Value, p => p.AgentId);
        Assert.Equal(3, placed.Count);
        Assert.Equal([0, 1, 2], result.Placed.Select(p => p.TaskIndex).Order());
        Assert.All(result.Placed, p => Assert.True(p.Cost > 0 && p.Runtime > TimeSpan.Zero && p.EstimatedFinish > h.Time.GetUtcNow()));
        // Two fit on the cheap agent ($0.50/h), the third would need the expensive one ($4/h) as well: $4.50/h. The
        // expensive one alone holds all three, for $4/h: that is the smaller bill (machine billing).
        Assert.Equal(3, placed.Values.Count(a => a == expensive.Id));
        Assert.Equal(4.0, result.CostPerHour, 9);
        var unplaced = Assert.Single(result.Unplaced);
        Assert.Equal("huge", unplaced.TaskId.Value);
        Assert.Equal(PlacementReason.InsufficientCpus, unplaced.Reason);
        Assert.Equal(3, unplaced.TaskIndex);
        Assert.Contains("cpus", unplaced.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("huge: not enough cpus (", unplaced.ToString());
        Assert.True(result.CostPerHour > 0);

        // The agents were told to run them, and the master tracks them as staging.
        var launched = new[] { await expensive.NextLaunchAsync(), await expensive.NextLaunchAsync(), await expensive.NextLaunchAsync() };
        Assert.Equal(placed.Keys.Order(), launched.Select(r => r.Task!.Id.Value).Order());
        var tasks = await h.Master.GetTasksAsync();
        Assert.Equal(3, tasks.Count(t => t.State == TaskState.Staging));

        // Reusing a task id in a second batch is refused for that task.
        var again = await fw.Driver.PlaceTasksAsync([Task("a", "cpus:0.1;mem:32")]);
        Assert.Empty(again.Placed);
        var duplicate = Assert.Single(again.Unplaced);
        Assert.Equal(PlacementReason.DuplicateTaskId, duplicate.Reason);
        Assert.Contains("already used", duplicate.Detail);
        await cheap.DisposeAsync();
        await expensive.DisposeAsync();
    }

    [Fact]
    public async Task A_chargeback_cluster_places_the_batch_by_share_and_answers_with_the_shares()
    {
        await using var h = new MasterHarness(o => o.Billing = DcOs.Core.Placement.BillingMode.Chargeback);
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("batch");
        var expensive = await FakeAgent.RegisterAsync(h.Transport, h.EndPoint, new AgentInfo
        {
            Hostname = "expensive", Resources = Resources.Parse("cpus:4;mem:4096"), Cost = new CostModel { MachinePerHour = 4.0 },
        });
        var cheap = await FakeAgent.RegisterAsync(h.Transport, h.EndPoint, new AgentInfo
        {
            Hostname = "cheap", Resources = Resources.Parse("cpus:2;mem:2048"), Cost = new CostModel { MachinePerHour = 0.5 },
        });
        await h.IdleAsync();
        var o1 = await fw.NextOfferAsync();
        var o2 = await fw.NextOfferAsync();
        await fw.Driver.DeclineAsync([o1.Id, o2.Id], new Filters(600));
        await h.SettleAsync(fw);

        TaskSpec Task(string id) => new() { Id = new TaskId(id), Command = CommandSpec.FromShell("sleep 60"), Resources = Resources.Parse("cpus:1;mem:512") };
        var result = await fw.Driver.PlaceTasksAsync([Task("a"), Task("b"), Task("c")]);

        // By share a cpu costs $0.25 on the cheap agent and $1 on the expensive one: two go cheap, one expensive.
        var placed = result.Placed.ToDictionary(p => p.TaskId.Value, p => p.AgentId);
        Assert.Equal(2, placed.Values.Count(a => a == cheap.Id));
        Assert.Equal(1, placed.Values.Count(a => a == expensive.Id));
        Assert.Equal(0.25 + 0.25 + 1.0, result.CostPerHour, 9);
        await cheap.DisposeAsync();
        await expensive.DisposeAsync();
    }

    [Fact]
    public void An_unknown_billing_mode_is_refused_by_name()
    {
        var options = new DcOs.Scheduling.Master.MasterOptions { Billing = (DcOs.Core.Placement.BillingMode)7 };
        Assert.Contains("Billing", Assert.Throws<ArgumentException>(options.Validate).Message);
    }
}
