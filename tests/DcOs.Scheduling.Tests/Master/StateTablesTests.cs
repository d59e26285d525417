using DcOs.Core;
using DcOs.Scheduling.Allocation;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>
/// The master's state tables on their own: each keeps its indexes, the allocator and the step's store writes in step.
/// What a step wrote is read back through a real store (<see cref="StoredAsync"/>).
/// </summary>
public sealed class StateTablesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly HierarchicalAllocator _allocator = new();
    private readonly IMasterStore _store = MasterStores.InMemory();
    private readonly StoreChangeSet _changes = new();
    private readonly MasterEvents _events = new(new FakeTimeProvider(Now));
    private readonly AgentTable _agents;
    private readonly FrameworkTable _frameworks;
    private readonly OfferBook _offers;
    private readonly TaskTable _tasks;

    public StateTablesTests()
    {
        _agents = new AgentTable(_allocator, _changes);
        _frameworks = new FrameworkTable(_allocator, _changes);
        _offers = new OfferBook(_allocator, "run");
        _tasks = new TaskTable(_allocator, _changes, _agents, _events, completedPerFramework: 2);
    }

    /// <summary>Ends the step as the master does: its changes written in one write, its events delivered; then what the store holds.</summary>
    private async Task<MasterStoreState> StoredAsync()
    {
        await _store.WriteAsync(_changes.Take());
        _events.Flush();
        return await _store.LoadAsync();
    }

    private AgentState Agent(string id, string resources = "cpus:4;mem:4096") =>
        _agents.Add(new AgentInfo { Id = new AgentId(id), Hostname = id + ".example", Resources = Resources.Parse(resources) }, Now);

    private FrameworkState Framework(string id) => _frameworks.Add(new FrameworkInfo { Id = new FrameworkId(id), Name = id }, Now);

    private static TaskSpec Spec(string id, string resources = "cpus:1;mem:512", string? group = null) => new()
    {
        Id = new TaskId(id),
        Name = id,
        Command = new CommandSpec { Shell = "true" },
        Resources = Resources.Parse(resources),
        Labels = group is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [TaskLabels.Group] = group },
    };

    private static TaskStatusUpdate Status(string id, TaskState state) => new() { TaskId = new TaskId(id), State = state, Timestamp = Now };

    [Fact]
    public void Agents_are_found_by_id_and_slot_and_each_has_its_own_slot()
    {
        var a = Agent("a");
        var b = Agent("b");

        Assert.NotEqual(a.Slot, b.Slot);
        Assert.Same(a, _agents.AtSlot(a.Slot));
        Assert.True(_agents.TryGet(new AgentId("b"), out var found) && ReferenceEquals(found, b));
        Assert.Equal(2, _agents.Count);
        Assert.Equal(Resources.Parse("cpus:4;mem:4096"), _allocator.Total(a.Slot));
    }

    [Fact]
    public async Task A_resized_agent_moves_to_a_slot_of_its_new_size_with_its_running_tasks_charged_again()
    {
        var fw = Framework("f");
        var agent = Agent("a");
        _tasks.Add(fw, agent, Spec("t1"), Status("t1", TaskState.Running), "*", charge: true);
        var oldSlot = agent.Slot;

        _agents.Resize(agent, agent.Info with { Resources = Resources.Parse("cpus:8;mem:8192") }, _frameworks.HandleOf);

        Assert.Same(agent, _agents.AtSlot(agent.Slot));
        Assert.Equal(Resources.Parse("cpus:8;mem:8192"), _allocator.Total(agent.Slot));
        Assert.Equal(Resources.Parse("cpus:1;mem:512"), _allocator.Allocated(agent.Slot));
        if (oldSlot != agent.Slot) Assert.Throws<InvalidOperationException>(() => _agents.AtSlot(oldSlot));
    }

    [Fact]
    public async Task A_removed_framework_loses_its_handle_and_its_id_for_good_in_memory_and_in_the_store()
    {
        var fw = Framework("f");
        _frameworks.Save(fw);
        var handle = fw.Handle;

        _frameworks.Remove(fw);

        Assert.True(fw.Removed);
        Assert.Equal(-1, fw.Handle);
        Assert.Null(_frameworks.WithHandle(handle));
        Assert.Equal(-1, _frameworks.HandleOf(new FrameworkId("f")));
        Assert.True(_frameworks.WasRemoved(new FrameworkId("f")));
        Assert.Empty((await StoredAsync()).Frameworks);
    }

    [Fact]
    public void An_offer_is_indexed_by_id_framework_and_agent_and_recovering_it_frees_its_resources_once()
    {
        var fw = Framework("f");
        var agent = Agent("a");
        var decisions = new List<AllocationDecision>();
        _allocator.Round(Now, decisions);

        var outgoing = _offers.AddAll(decisions, _agents, _frameworks, expiresAt: null);

        var offer = Assert.Single(Assert.Single(outgoing).Value);
        var entry = Assert.Single(fw.Offers.Values);
        Assert.Equal(offer.Id, entry.Id);
        Assert.Same(entry, Assert.Single(agent.Offers));
        Assert.Equal(offer.Resources, OfferBook.OfferedOn(agent));
        Assert.True(_allocator.Free(agent.Slot).IsEmpty);

        Assert.True(_offers.Recover(entry));
        Assert.False(_offers.Recover(entry));
        Assert.Empty(fw.Offers);
        Assert.Empty(agent.Offers);
        Assert.Equal(0, _offers.Count);
        Assert.Equal(Resources.Parse("cpus:4;mem:4096"), _allocator.Free(agent.Slot));
    }

    [Fact]
    public void An_offer_taken_for_a_launch_leaves_its_resources_allocated()
    {
        var fw = Framework("f");
        var agent = Agent("a");
        var entry = _offers.Add(fw, agent, "*", Resources.Parse("cpus:4;mem:4096"), Now + TimeSpan.FromSeconds(1));
        _allocator.AddAllocation(agent.Slot, fw.Handle, "*", entry.Offer.Resources);

        Assert.True(_offers.Take(entry));

        Assert.Empty(agent.Offers);
        Assert.True(_allocator.Free(agent.Slot).IsEmpty);
        Assert.Empty(_offers.Expired(Now));
    }

    [Fact]
    public void Offers_past_their_timeout_are_listed_as_expired()
    {
        var fw = Framework("f");
        var agent = Agent("a");
        var soon = _offers.Add(fw, agent, "*", Resources.Parse("cpus:1"), Now + TimeSpan.FromSeconds(1));
        _offers.Add(fw, agent, "*", Resources.Parse("cpus:1"), expiresAt: null);

        Assert.Empty(_offers.Expired(Now));
        Assert.Equal([soon], _offers.Expired(Now + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_task_is_in_both_tables_charged_and_stored_and_ending_releases_its_resources()
    {
        using var watch = _events.Watch(16);
        var fw = Framework("f");
        var agent = Agent("a");

        var task = _tasks.Add(fw, agent, Spec("t1"), Status("t1", TaskState.Staging), "*", charge: true);

        Assert.Same(task, fw.Tasks[task.Id]);
        Assert.Same(task, agent.Tasks[(fw.Id, task.Id)]);
        Assert.Equal(Resources.Parse("cpus:1;mem:512"), _allocator.Allocated(agent.Slot));
        Assert.Equal(TaskState.Staging, Assert.Single((await StoredAsync()).Tasks).Status.State);

        Assert.True(_tasks.Update(fw, task, Status("t1", TaskState.Finished), Now));
        Assert.False(_tasks.Update(fw, task, Status("t1", TaskState.Finished), Now));

        Assert.False(task.HoldsResources);
        Assert.True(_allocator.Allocated(agent.Slot).IsEmpty);
        Assert.Equal(TaskState.Finished, Assert.Single((await StoredAsync()).Tasks).Status.State);
        Assert.True(watch.Events.TryRead(out var added) && added.Status!.State == TaskState.Staging);
        Assert.True(watch.Events.TryRead(out var finished) && finished.Status!.State == TaskState.Finished && finished.AgentId == agent.Id && finished.FrameworkId == fw.Id);
    }

    [Fact]
    public async Task Ended_tasks_beyond_the_bound_are_forgotten_everywhere_oldest_first()
    {
        var fw = Framework("f");
        var agent = Agent("a", "cpus:8;mem:8192");
        foreach (var id in new[] { "t1", "t2", "t3" })
        {
            var task = _tasks.Add(fw, agent, Spec(id), Status(id, TaskState.Running), "*", charge: true);
            _tasks.Update(fw, task, Status(id, TaskState.Failed), Now);
        }

        Assert.Equal(["t2", "t3"], fw.Tasks.Keys.Select(k => k.Value).Order());
        Assert.Equal(["t2", "t3"], agent.Tasks.Keys.Select(k => k.Item2.Value).Order());
        Assert.Equal(["t2", "t3"], (await StoredAsync()).Tasks.Select(t => t.Spec.Id.Value).Order());
    }

    [Fact]
    public async Task Removing_a_framework_releases_every_task_and_names_the_active_ones_to_kill()
    {
        var fw = Framework("f");
        var agent = Agent("a");
        _tasks.Add(fw, agent, Spec("running"), Status("running", TaskState.Running), "*", charge: true);
        var done = _tasks.Add(fw, agent, Spec("done"), Status("done", TaskState.Running), "*", charge: true);
        _tasks.Update(fw, done, Status("done", TaskState.Finished), Now);

        var active = _tasks.RemoveFramework(fw);

        Assert.Equal("running", Assert.Single(active).Id.Value);
        Assert.Empty(fw.Tasks);
        Assert.Empty(agent.Tasks);
        Assert.True(_allocator.Allocated(agent.Slot).IsEmpty);
        Assert.Empty((await StoredAsync()).Tasks);
    }

    [Fact]
    public async Task A_groups_placements_are_the_agents_of_its_active_tasks()
    {
        var fw = Framework("f");
        var a = Agent("a");
        var b = Agent("b");
        _tasks.Add(fw, a, Spec("web.1", group: "/web"), Status("web.1", TaskState.Running), "*", charge: true);
        var ended = _tasks.Add(fw, b, Spec("web.2", group: "/web"), Status("web.2", TaskState.Running), "*", charge: true);
        _tasks.Add(fw, b, Spec("db.1", group: "/db"), Status("db.1", TaskState.Running), "*", charge: true);
        _tasks.Update(fw, ended, Status("web.2", TaskState.Killed), Now);

        Assert.Equal(["a.example"], _tasks.PlacementsOf(fw, "/web").Select(p => p.Hostname));
        Assert.Equal(["b.example"], _tasks.PlacementsOf(fw, "/db").Select(p => p.Hostname));
    }

    [Fact]
    public void Events_wait_for_the_end_of_the_step_and_a_watcher_that_falls_behind_is_dropped_with_an_error()
    {
        using var slow = _events.Watch(2);
        using var fast = _events.Watch(16);
        for (var i = 0; i < 3; i++) _events.Publish(MasterEventKind.AgentAdded, new AgentId($"a{i}"));
        Assert.Equal(0, fast.Events.Count);
        _events.Flush();

        Assert.Equal(3, fast.Events.Count);
        Assert.True(slow.Events.TryRead(out _) && slow.Events.TryRead(out _));
        Assert.False(slow.Events.TryRead(out _));
        Assert.True(slow.Events.Completion.IsFaulted);
        Assert.Contains("fell", slow.Events.Completion.Exception!.InnerException!.Message);
    }
}
