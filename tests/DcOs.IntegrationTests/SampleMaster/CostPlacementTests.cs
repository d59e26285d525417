using System.Globalization;
using System.Net.Http.Json;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>
/// Cost-aware placement as a user sees it: the real sample master, three real agent processes priced differently, an
/// app with <c>costObjective: cheapest</c>, and the real processes it starts.
/// </summary>
public sealed class CostPlacementTests
{
    public static TheoryData<double[]> PriceOrders => new()
    {
        // local-agent-1 starts (and registers) first: the cheapest one first, last, and in the middle of the order.
        new[] { 0.10, 0.25, 0.50 },
        new[] { 0.50, 0.25, 0.10 },
        new[] { 0.25, 0.10, 0.50 },
    };

    [Theory]
    [MemberData(nameof(PriceOrders))]
    public async Task A_cheapest_app_lands_on_the_cheapest_agents_whatever_order_they_register_in(double[] prices)
    {
        var args = prices.SelectMany((p, i) => new[] { $"--DcOs:AgentPrices:{i}", p.ToString(CultureInfo.InvariantCulture) }).ToArray();
        await using var cluster = await SampleCluster.StartAsync(3, args);
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        // Each local agent has 0.67 cpus here: two instances of 0.3 fit on one.
        var response = await cluster.Http.PostAsync("api/apps", JsonContent.Create(new
        {
            id = "/thrifty", cmd = $"exec sleep {marker}", cpus = 0.3, mem = 32, instances = 4, costObjective = "cheapest",
        }));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        await cluster.EventuallyAsync(async () => (await cluster.GetAsync("api/apps/thrifty")).GetProperty("tasksRunning").GetInt32() == 4 && ProcessTable.Sleeping(marker).Count == 4,
            TimeSpan.FromSeconds(60), "4 instances running as 4 processes");

        var hostOf = prices.Select((p, i) => (Host: $"local-agent-{i + 1}", Price: p)).ToDictionary(x => x.Host, x => x.Price);
        var placed = (await cluster.GetAsync("api/apps/thrifty")).GetProperty("tasks").EnumerateArray()
            .GroupBy(t => hostOf[t.GetProperty("host").GetString()!]).ToDictionary(g => g.Key, g => g.Count());
        // Two on the $0.10 agent, two on the $0.25 one, none on the $0.50 one.
        Assert.Equal(new Dictionary<double, int> { [0.10] = 2, [0.25] = 2 }, placed);

        // First-fit over the agents by hostname would take local-agent-1 and -2, whatever they cost.
        var cost = await cluster.GetAsync("api/cost");
        Assert.Equal(prices[0] + prices[1], cost.GetProperty("firstFitPerHour").GetDouble(), 6);
        Assert.Equal(prices[0] + prices[1] - 0.35, cost.GetProperty("savingsVsFirstFitPerHour").GetDouble(), 6);
    }

    [Fact]
    public async Task Consolidation_plans_the_move_that_switches_off_the_dear_fast_agent_and_moves_nothing()
    {
        // Local agents: $0.10 at speed 1, $0.25 at 1.5, $0.50 at 2.5. A cheapest app lands on the cheap one, then a
        // fastest app on the dear fast one; moving the second to the cheap agent lets the dear one be switched off.
        await using var cluster = await SampleCluster.StartAsync(3);
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        var running = 0;
        foreach (var (id, objective) in new[] { ("/thrift", "cheapest"), ("/quick", "fastest") })
        {
            var response = await cluster.Http.PostAsync("api/apps", JsonContent.Create(new { id, cmd = $"exec sleep {marker}", cpus = 0.1, mem = 32, instances = 1, costObjective = objective }));
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
            running++;
            await cluster.EventuallyAsync(async () => ProcessTable.Sleeping(marker).Count == running && (await cluster.GetAsync("api/tasks")).EnumerateArray().Count(t => t.GetProperty("state").GetString() == "TASK_RUNNING") == running,
                TimeSpan.FromSeconds(60), $"{running} instance(s) running");
        }
        string HostOf(System.Text.Json.JsonElement tasks, string app) => tasks.EnumerateArray().Single(t => t.GetProperty("appId").GetString() == app).GetProperty("hostname").GetString()!;
        var before = await cluster.GetAsync("api/tasks");
        Assert.Equal(("local-agent-3", "local-agent-1"), (HostOf(before, "/quick"), HostOf(before, "/thrift")));

        var plan = await cluster.GetAsync("api/consolidation?maxMoves=5");
        var move = Assert.Single(plan.GetProperty("moves").EnumerateArray());
        Assert.Equal(("/quick", "local-agent-3", "local-agent-1"), (move.GetProperty("appId").GetString(), move.GetProperty("from").GetString(), move.GetProperty("to").GetString()));
        Assert.Equal(["local-agent-3"], plan.GetProperty("machinesSwitchedOff").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(0.60, plan.GetProperty("billBeforePerHour").GetDouble(), 6);
        Assert.Equal(0.10, plan.GetProperty("billAfterPerHour").GetDouble(), 6);
        Assert.Equal(0.50, plan.GetProperty("savingsPerHour").GetDouble(), 6);
        // A dry run: the instance still runs where it was, as the same process.
        Assert.Equal("local-agent-3", HostOf(await cluster.GetAsync("api/tasks"), "/quick"));
        Assert.Equal(2, ProcessTable.Sleeping(marker).Count);

        Assert.Empty((await cluster.GetAsync("api/consolidation?maxMoves=0")).GetProperty("moves").EnumerateArray());
        var refused = await cluster.Http.GetAsync("api/consolidation?maxMoves=-1");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("maxMoves", await refused.Content.ReadAsStringAsync());

        // Carried out: the replacement starts on local-agent-1 first; /quick never has no running instance meanwhile.
        var applied = await cluster.Http.PostAsync("api/consolidation?maxMoves=5", null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, applied.StatusCode);
        var started = (await applied.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("started");
        Assert.Equal(move.GetProperty("taskId").GetString(), Assert.Single(started.EnumerateArray()).GetString());
        var fewest = int.MaxValue;
        await cluster.EventuallyAsync(async () =>
        {
            var quick = (await cluster.GetAsync("api/tasks")).EnumerateArray()
                .Where(t => t.GetProperty("appId").GetString() == "/quick" && t.GetProperty("state").GetString() == "TASK_RUNNING").ToList();
            fewest = Math.Min(fewest, quick.Count);
            return quick.Count == 1 && quick[0].GetProperty("hostname").GetString() == "local-agent-1" && ProcessTable.Sleeping(marker).Count == 2;
        }, TimeSpan.FromSeconds(60), "/quick moved to local-agent-1 and the old process gone");
        Assert.Equal(1, fewest);
        var after = await cluster.GetAsync("api/cost");
        Assert.Equal(2, after.GetProperty("idleMachines").GetInt32());
        Assert.Equal(0.10, after.GetProperty("totalPerHour").GetDouble() - after.GetProperty("idlePerHour").GetDouble(), 6);
    }

    [Fact]
    public async Task A_chargeback_cluster_bills_the_apps_their_shares_and_charges_no_one_for_idle_machines()
    {
        await using var cluster = await SampleCluster.StartAsync(2, "--billing", "chargeback");
        var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
        var response = await cluster.Http.PostAsync("api/apps", JsonContent.Create(new { id = "/share", cmd = $"exec sleep {marker}", cpus = 0.1, mem = 32, instances = 1 }));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        await cluster.EventuallyAsync(() => Task.FromResult(ProcessTable.Sleeping(marker).Count == 1), TimeSpan.FromSeconds(60), "the instance's process");
        await cluster.EventuallyAsync(async () => (await cluster.GetAsync("api/cost")).GetProperty("byApp").GetArrayLength() == 1, TimeSpan.FromSeconds(30), "the app in the cost report");

        var cost = await cluster.GetAsync("api/cost");
        Assert.Equal("chargeback", cost.GetProperty("billing").GetString());
        var app = cost.GetProperty("byApp")[0].GetProperty("perHour").GetDouble();
        // One small instance pays a share of its agent, far below the agent's price; the idle agent is charged to no one.
        Assert.Equal(app, cost.GetProperty("totalPerHour").GetDouble(), 6);
        Assert.InRange(app, 1e-6, 0.05);
        Assert.Equal(1, cost.GetProperty("idleMachines").GetInt32());
    }
}
