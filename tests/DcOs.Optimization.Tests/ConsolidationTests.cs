using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;

namespace DcOs.Optimization.Tests;

/// <summary>
/// Consolidation: at most K moves that let machines be switched off, with the bill before and after. Every plan is
/// replayed here on the test's own numbers (cpus per machine, prices): no machine over capacity, no UNIQUE broken, and
/// the bills recomputed from which machines run anything.
/// </summary>
public sealed class ConsolidationTests
{
    private static AgentInfo Agent(string id, double cpus, double price, int gpus = 0) => new()
    {
        Id = new AgentId(id),
        Hostname = id,
        Resources = Resources.FromScalars(cpus: cpus, memMb: 1024 * cpus, gpus: gpus),
        Gpus = [.. Enumerable.Range(0, gpus).Select(i => new GpuDevice { Index = i, Model = "T4" })],
        Cost = new CostModel { MachinePerHour = price },
    };

    private static RunningPlacement Task(string id, string agent, double cpus = 1, string? group = null, bool movable = true, double gpus = 0, IReadOnlyList<int>? devices = null, params string[] constraints) => new(
        new TaskSpec
        {
            Id = new TaskId(id),
            Command = CommandSpec.FromShell("sleep 1000"),
            Resources = Resources.FromScalars(cpus: cpus, memMb: 128, gpus: gpus),
            GpuDevices = devices,
            Constraints = [.. constraints.Select(c => PlacementConstraint.Parse(c))],
            Labels = new Dictionary<string, string> { [TaskLabels.Group] = group ?? id },
        },
        new AgentId(agent),
        movable);

    /// <summary>Replays the moves on the raw input and returns where each task ends and the bill of the machines running anything.</summary>
    private static (Dictionary<string, string> Where, double Bill) Replay(AgentInfo[] agents, RunningPlacement[] running, ConsolidationPlan plan)
    {
        var where = running.ToDictionary(t => t.Spec.Id.Value, t => t.AgentId.Value);
        foreach (var move in plan.Moves)
        {
            Assert.Equal(move.From.Value, where[move.TaskId.Value]);
            where[move.TaskId.Value] = move.To.Value;
        }
        foreach (var agent in agents)
        {
            var here = running.Where(t => where[t.Spec.Id.Value] == agent.Id.Value).ToList();
            Assert.True(here.Sum(t => t.Spec.Resources.Cpus) <= agent.Resources.Cpus + 1e-9, $"{agent.Id} holds more cpus than it has");
        }
        var bill = agents.Where(a => where.Values.Contains(a.Id.Value)).Sum(a => a.Cost.MachinePerHour);
        return (where, bill);
    }

    [Fact]
    public void The_dearest_machine_per_task_is_emptied_first_and_the_moves_stop_at_k()
    {
        AgentInfo[] agents = [Agent("a", 4, 1.0), Agent("b", 4, 3.0), Agent("c", 4, 0.5)];
        RunningPlacement[] running = [Task("a1", "a"), Task("b1", "b"), Task("b2", "b")];

        // Two moves: b's tasks go to a, which runs already, so emptying b saves its whole price.
        var two = ConsolidationPlanner.Plan(Fx.Optimizer(), agents, running, maxMoves: 2);
        var (where, bill) = Replay(agents, running, two);
        Assert.Equal(["b"], two.MachinesSwitchedOff.Select(a => a.Value));
        Assert.Equal(["a", "a"], new[] { where["b1"], where["b2"] });
        Assert.Equal((4.0, 1.0, 1.0), (two.BillBeforePerHour, two.BillAfterPerHour, bill));
        Assert.Equal(3.0, two.SavingsPerHour, 9);
        Assert.Equal(["c"], two.IdleMachines.Select(a => a.Value));
        Assert.Equal(0.5, two.IdlePerHour);

        // Five moves: then a's three tasks go to the idle $0.50 machine, which saves $0.50 more.
        var five = ConsolidationPlanner.Plan(Fx.Optimizer(), agents, running, maxMoves: 5);
        (where, bill) = Replay(agents, running, five);
        Assert.Equal(5, five.Moves.Count);
        Assert.Equal(["b", "a"], five.MachinesSwitchedOff.Select(a => a.Value));
        Assert.All(where.Values, w => Assert.Equal("c", w));
        Assert.Equal((0.5, 0.5), (five.BillAfterPerHour, bill));

        // No moves allowed: nothing changes.
        var none = ConsolidationPlanner.Plan(Fx.Optimizer(), agents, running, maxMoves: 0);
        Assert.Empty(none.Moves);
        Assert.Equal(none.BillBeforePerHour, none.BillAfterPerHour);
    }

    [Fact]
    public void A_machine_is_not_emptied_when_its_tasks_cannot_go_elsewhere_must_stay_or_would_cost_more()
    {
        AgentInfo[] agents = [Agent("a", 2, 1.0), Agent("b", 2, 2.0), Agent("dear", 8, 5.0)];
        RunningPlacement[] running =
        [
            // a is full; b's task can only go to the idle dear machine, which costs more than b.
            Task("a1", "a"), Task("a2", "a", movable: false), Task("b1", "b", cpus: 2),
        ];
        var plan = ConsolidationPlanner.Plan(Fx.Optimizer(), agents, running, maxMoves: 10);
        Assert.Empty(plan.Moves);
        Assert.Equal(3.0, plan.BillAfterPerHour);
    }

    [Fact]
    public void Unique_instances_are_not_put_together_and_gpu_shares_only_go_where_a_device_holds_them()
    {
        AgentInfo[] agents = [Agent("a", 8, 1.0, gpus: 1), Agent("b", 8, 2.0, gpus: 1), Agent("c", 8, 1.5, gpus: 1)];
        RunningPlacement[] running =
        [
            Task("web-1", "a", group: "/web", constraints: "hostname:UNIQUE"),
            Task("web-2", "b", group: "/web", constraints: "hostname:UNIQUE"),
            Task("infer-a", "a", gpus: 0.5, devices: [0]),
            Task("infer-b", "b", gpus: 0.6, devices: [0]),
        ];
        var plan = ConsolidationPlanner.Plan(Fx.Optimizer(), agents, running, maxMoves: 10);
        var (where, bill) = Replay(agents, running, plan);
        // b is the dearest: web-2 cannot join web-1 on a, and 0.6 of a GPU does not fit beside a's 0.5, so both go to
        // the idle c ($1.50 < $2.00).
        Assert.Equal(["b"], plan.MachinesSwitchedOff.Select(a => a.Value));
        Assert.Equal(("c", "c"), (where["web-2"], where["infer-b"]));
        Assert.Equal([0], plan.Moves.Single(m => m.TaskId.Value == "infer-b").GpuDevices);
        Assert.Equal((3.0, 2.5, 2.5), (plan.BillBeforePerHour, plan.BillAfterPerHour, bill));
    }

    [Fact]
    public void Bad_input_is_refused_naming_the_field()
    {
        AgentInfo[] agents = [Agent("a", 4, 1)];
        Assert.Equal("maxMoves", Assert.Throws<ValidationException>(() => ConsolidationPlanner.Plan(Fx.Optimizer(), agents, [], -1)).Field);
        Assert.Equal("running[0].agentId", Assert.Throws<ValidationException>(() => ConsolidationPlanner.Plan(Fx.Optimizer(), agents, [Task("t", "nowhere")], 1)).Field);
        Assert.Equal("running[1].spec.id", Assert.Throws<ValidationException>(() => ConsolidationPlanner.Plan(Fx.Optimizer(), agents, [Task("t", "a"), Task("t", "a")], 1)).Field);
    }
}
