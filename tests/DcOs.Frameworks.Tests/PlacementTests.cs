using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Frameworks.Jobs;
using DcOs.Frameworks.Services;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Frameworks.Tests;

/// <summary>
/// The frameworks place with the SDK's optimizer over every offer of a round, by the app's objective and constraints,
/// so the order in which offers (or agents) come does not decide where instances go.
/// </summary>
public sealed class PlacementTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingDriver _driver = new();
    private readonly ServicesFramework _services;
    private readonly JobsFramework _jobs;

    public PlacementTests()
    {
        _services = new ServicesFramework(FrameworkStores.InMemory(), _time, Optimizers.On(_time));
        _jobs = new JobsFramework(FrameworkStores.InMemory(), _time, Optimizers.On(_time));
    }

    public void Dispose()
    {
        _services.Dispose();
        _jobs.Dispose();
    }

    private static Offer Priced(string agent, double perHour, double speed = 1, string resources = "cpus:1;mem:1024") =>
        RecordingDriver.OfferOn(agent, resources, new CostModel { MachinePerHour = perHour, SpeedFactor = speed });

    private async Task StartAsync(DcOs.Framework.FrameworkScheduler framework)
    {
        await framework.SubscribedAsync(_driver, _driver.FrameworkId, reconnected: false);
        await _driver.EndReconciliationAsync(framework);
    }

    private Dictionary<string, int> PlacedPerAgent(IReadOnlyList<Offer> offers)
    {
        var agentOf = offers.ToDictionary(o => o.Id, o => o.AgentId.Value);
        return _driver.Accepted.SelectMany(a => a.Tasks.Select(_ => agentOf[Assert.Single(a.Offers)]))
            .GroupBy(a => a).ToDictionary(g => g.Key, g => g.Count());
    }

    public static TheoryData<int[]> Orders => new() { new[] { 0, 1, 2 }, new[] { 2, 1, 0 }, new[] { 1, 2, 0 } };

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task A_cheapest_app_lands_on_the_cheapest_agents_whatever_order_the_offers_come_in(int[] order)
    {
        await StartAsync(_services);
        _services.Add(new AppDefinition { Id = "/web", Cmd = "sleep 100", Cpus = 0.5, Mem = 64, Instances = 4, CostObjective = ObjectiveKind.Cheapest });
        Offer[] agents = [Priced("dear", 0.50), Priced("cheap", 0.10), Priced("middle", 0.25)];
        var offers = order.Select(i => agents[i]).ToList();

        await _services.OffersAsync(_driver, offers);

        // Two instances fill the $0.10 agent, the other two the $0.25 one; the $0.50 agent is declined.
        Assert.Equal(new Dictionary<string, int> { ["cheap"] = 2, ["middle"] = 2 }, PlacedPerAgent(offers));
        Assert.Contains(agents[0].Id, _driver.Declined);
    }

    [Theory]
    [InlineData(BillingMode.Machine, "small")]
    [InlineData(BillingMode.Chargeback, "big")]
    public async Task A_gpu_app_minimizes_the_bill_the_master_names_and_gets_a_device(BillingMode billing, string expected)
    {
        // Machine billing pays the small machine whole ($1); chargeback charges 1/8 of the big one ($0.75).
        _driver.Billing = billing;
        await StartAsync(_services);
        _services.Add(new AppDefinition { Id = "/train", Cmd = "sleep 100", Cpus = 1, Mem = 512, Gpus = 1, Instances = 1 });
        var small = RecordingDriver.OfferOn("small", "cpus:8;mem:8192;gpus:1", new CostModel { MachinePerHour = 1 }) with
        {
            Gpus = [new GpuAvailability(new GpuDevice { Index = 0, Model = "T4" }, 1)],
        };
        var big = RecordingDriver.OfferOn("big", "cpus:64;mem:65536;gpus:8", new CostModel { MachinePerHour = 6 }) with
        {
            Gpus = [.. Enumerable.Range(0, 8).Select(i => new GpuAvailability(new GpuDevice { Index = i, Model = "A100" }, i == 0 ? 0 : 1))],
        };
        List<Offer> offers = [small, big];

        await _services.OffersAsync(_driver, offers);

        Assert.Equal(new Dictionary<string, int> { [expected] = 1 }, PlacedPerAgent(offers));
        // The plan's device goes with the launch: on the big machine device 0 is taken, so the first free one.
        Assert.Equal([expected == "big" ? 1 : 0], _driver.Launched.Single().GpuDevices!);
    }

    [Fact]
    public async Task Constraints_are_honoured_over_all_offers_at_once_and_say_why_the_rest_waits()
    {
        await StartAsync(_services);
        _services.Add(new AppDefinition
        {
            Id = "/db", Cmd = "sleep 100", Cpus = 0.1, Mem = 32, Instances = 3, Constraints = [["hostname", "UNIQUE"]],
        });
        var offers = new List<Offer> { Priced("dear", 0.50), Priced("cheap", 0.10) };

        await _services.OffersAsync(_driver, offers);

        Assert.Equal(new Dictionary<string, int> { ["cheap"] = 1, ["dear"] = 1 }, PlacedPerAgent(offers));
        var view = Assert.Single(_services.List());
        Assert.Contains("1 instance(s) waiting", view.Message);
        Assert.Contains(PlacementReason.Constraint, Assert.Single(_services.Pending()).Reasons.Keys);
    }

    [Fact]
    public async Task Apps_are_planned_together_so_the_first_app_does_not_take_the_only_agent_the_second_can_use()
    {
        await StartAsync(_services);
        // "/a" comes first and could go anywhere; "/b" only where zone is west, which is also the cheap agent. Placed
        // app by app, "/a" would take it and "/b" would wait; planned together, both run.
        _services.Add(new AppDefinition { Id = "/a", Cmd = "sleep 100", Cpus = 1, Mem = 64 });
        _services.Add(new AppDefinition { Id = "/b", Cmd = "sleep 100", Cpus = 1, Mem = 64, Constraints = [["zone", "LIKE", "west"]] });
        var west = Priced("west", 0.10) with { Attributes = Attributes.Parse("zone:west") };
        var east = Priced("east", 0.50) with { Attributes = Attributes.Parse("zone:east") };

        await _services.OffersAsync(_driver, [west, east]);

        var byApp = _driver.Accepted.SelectMany(a => a.Tasks.Select(t => (App: t.Name!, Offer: Assert.Single(a.Offers)))).ToDictionary(x => x.App, x => x.Offer);
        Assert.Equal(west.Id, byApp["/b"]);
        Assert.Equal(east.Id, byApp["/a"]);
        Assert.All(_services.List(), v => Assert.Null(v.Message));
    }

    [Fact]
    public async Task A_fastest_app_takes_the_fastest_agent_though_it_costs_more()
    {
        await StartAsync(_services);
        _services.Add(new AppDefinition { Id = "/calc", Cmd = "sleep 100", Cpus = 1, Mem = 64, Instances = 1, CostObjective = ObjectiveKind.Fastest });
        var offers = new List<Offer> { Priced("slow", 0.10, speed: 1), Priced("fast", 0.90, speed: 3) };

        await _services.OffersAsync(_driver, offers);

        Assert.Equal(new Dictionary<string, int> { ["fast"] = 1 }, PlacedPerAgent(offers));
    }

    [Fact]
    public async Task A_job_run_goes_to_the_cheapest_machine_that_meets_its_deadline()
    {
        await StartAsync(_jobs);
        // 100 s of work at speed 1: the cheap machine (speed 0.5) needs 200 s, the dear one (speed 2) 50 s.
        _jobs.Add(new JobDefinition { Id = "urgent", Run = new JobRunSpec { Cmd = "true", Cpus = 1, EstimatedDurationSeconds = 100, DeadlineSeconds = 150 } });
        _jobs.Add(new JobDefinition { Id = "whenever", Run = new JobRunSpec { Cmd = "true", Cpus = 1, EstimatedDurationSeconds = 100 } });
        var urgent = _jobs.RunNow("urgent");
        var whenever = _jobs.RunNow("whenever");
        var offers = new List<Offer> { Priced("fast-dear", 0.80, speed: 2), Priced("slow-cheap", 0.10, speed: 0.5) };

        await _jobs.OffersAsync(_driver, offers);

        Assert.Equal("fast-dear", _jobs.History("urgent").Single(r => r.RunId == urgent).AgentId);
        Assert.Equal("slow-cheap", _jobs.History("whenever").Single(r => r.RunId == whenever).AgentId);
        // The cost estimate is the machine's price over the run's time there: $0.10/h x 200 s.
        Assert.Equal(0.10 * 200 / 3600, _jobs.History("whenever").Single().CostEstimate!.Value, 4);
    }

    [Fact]
    public async Task A_job_run_asking_for_a_share_of_a_model_gets_a_device_of_that_model()
    {
        await StartAsync(_jobs);
        _jobs.Add(new JobDefinition { Id = "infer", Run = new JobRunSpec { Cmd = "true", Cpus = 1, Gpus = 0.5, GpuModel = "T4" } });
        var run = _jobs.RunNow("infer");
        // The A100 machine is cheaper, but the run names T4; device 0 of the T4 machine is full, device 1 has room.
        var a100 = RecordingDriver.OfferOn("a100", "cpus:8;mem:8192;gpus:1", new CostModel { MachinePerHour = 0.5 }) with
        {
            Gpus = [new GpuAvailability(new GpuDevice { Index = 0, Model = "A100" }, 1)],
        };
        var t4 = RecordingDriver.OfferOn("t4", "cpus:8;mem:8192;gpus:1", new CostModel { MachinePerHour = 2 }) with
        {
            Gpus = [new GpuAvailability(new GpuDevice { Index = 0, Model = "T4" }, 0), new GpuAvailability(new GpuDevice { Index = 1, Model = "T4" }, 1)],
        };

        await _jobs.OffersAsync(_driver, [a100, t4]);

        Assert.Equal("t4", _jobs.History("infer").Single(r => r.RunId == run).AgentId);
        var launched = _driver.Launched.Single();
        Assert.Equal(("T4", 1), (launched.GpuModel, launched.GpuDevices!.Single()));
        Assert.Throws<ValidationException>(() => _jobs.Add(new JobDefinition { Id = "bad", Run = new JobRunSpec { Cmd = "true", Gpus = 1.5 } }));
    }

    [Fact]
    public async Task A_framework_without_an_optimizer_launches_nothing_and_says_why()
    {
        using var apiOnly = new ServicesFramework(FrameworkStores.InMemory(), _time);
        await StartAsync(apiOnly);
        apiOnly.Add(new AppDefinition { Id = "/web", Cmd = "sleep 100", Cpus = 0.1, Mem = 32 });
        var offer = Priced("a1", 0.1);

        await apiOnly.OffersAsync(_driver, [offer]);

        Assert.Empty(_driver.Accepted);
        Assert.Contains(offer.Id, _driver.Declined);
        Assert.Contains("no placement optimizer", Assert.Single(apiOnly.List()).Message);
    }

    [Fact]
    public async Task After_a_restart_the_constraints_count_where_stored_instances_run_before_their_agent_offers_anything()
    {
        var store = FrameworkStores.InMemory();
        var rack1 = Priced("r1-a", 0.10) with { Attributes = Attributes.Parse("rack:r1") };
        using (var before = new ServicesFramework(store, _time, Optimizers.On(_time)))
        {
            await StartAsync(before);
            before.Add(new AppDefinition { Id = "/db", Cmd = "sleep 100", Cpus = 0.5, Mem = 64, Instances = 2, Constraints = [["rack", "UNIQUE"]] });
            await before.OffersAsync(_driver, [rack1]);
            Assert.Single(_driver.Launched);
        }
        _driver.Accepted.Clear();

        // Restarted; the agent in rack r1 has nothing left to offer. Another agent in r1 is the cheapest, but the
        // stored instance already holds r1: the second instance must go to r2.
        using var after = new ServicesFramework(store, _time, Optimizers.On(_time));
        await StartAsync(after);
        var rack1Other = Priced("r1-b", 0.05) with { Attributes = Attributes.Parse("rack:r1") };
        var rack2 = Priced("r2-a", 0.50) with { Attributes = Attributes.Parse("rack:r2") };
        await after.OffersAsync(_driver, [rack1Other, rack2]);

        Assert.Equal(rack2.Id, Assert.Single(Assert.Single(_driver.Accepted).Offers));
    }

    [Fact]
    public async Task An_app_posted_while_idle_offers_are_being_declined_revives_only_after_that_decline()
    {
        // With no app, offers are declined (with a filter). An app posted while such a decline is on its way must
        // revive after it: a revive first, then the decline's filter, would keep those agents from the new app.
        await StartAsync(_services);
        var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.DeclineGate = async () =>
        {
            inFlight.TrySetResult();
            await release.Task;
        };
        lock (_driver) _driver.Calls.Clear();
        var answering = _services.OffersAsync(_driver, [Priced("cheap", 0.10)]);
        await inFlight.Task.WaitAsync(TimeSpan.FromSeconds(20));

        _services.Add(new AppDefinition { Id = "/thrifty", Cmd = "sleep 60", Cpus = 0.3, Mem = 32, Instances = 2, CostObjective = ObjectiveKind.Cheapest });
        lock (_driver) Assert.Empty(_driver.Calls);
        release.SetResult();
        await answering.WaitAsync(TimeSpan.FromSeconds(20));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            lock (_driver)
            {
                if (_driver.Calls.Count >= 3) break;
            }
            await Task.Delay(5);
        }
        // Idle, the framework suppressed its offers after that decline; the new app's revive comes after both.
        lock (_driver) Assert.Equal(["decline", "suppress", "revive"], _driver.Calls);
    }

    [Fact]
    public async Task Idle_frameworks_decline_a_round_in_one_message_and_suppress_offers_until_work_revives_them()
    {
        await StartAsync(_services);
        await StartAsync(_jobs);
        lock (_driver) _driver.Calls.Clear();
        Offer[] round = [Priced("a", 0.1), Priced("b", 0.2), Priced("c", 0.3)];
        await _services.OffersAsync(_driver, round);
        await _jobs.OffersAsync(_driver, round);
        lock (_driver) Assert.Equal(["decline", "suppress", "decline", "suppress"], _driver.Calls);
        Assert.Equal(6, _driver.Declined.Count);

        // Work waiting that these offers cannot hold: declined briefly, not suppressed (the next offers may fit).
        _services.Add(new AppDefinition { Id = "/big", Cmd = "sleep 60", Cpus = 64, Mem = 32 });
        lock (_driver) _driver.Calls.Clear();
        await _services.OffersAsync(_driver, [Priced("d", 0.1)]);
        lock (_driver) Assert.DoesNotContain("suppress", _driver.Calls);
    }
}
