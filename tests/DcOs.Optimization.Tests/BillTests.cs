using CsCheck;
using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Optimization.Tests;

/// <summary>
/// The cheapest objective minimizes the bill as machines charge it, and every plan reports that bill. The bills here are
/// recomputed from the test's own prices (which machines run anything, at what price), not from the optimizer's types.
/// </summary>
public sealed class BillTests
{
    private static PlacementMachine Gpu(string id, int gpus, double cpus, double price, Resources? free = null)
    {
        var total = Resources.FromScalars(cpus: cpus, memMb: 1024 * cpus, gpus: gpus);
        var agent = new AgentInfo { Id = new AgentId(id), Hostname = id, Resources = total, Cost = new CostModel { MachinePerHour = price } };
        return PlacementMachine.FromAgent(agent, free);
    }

    private static PendingTask GpuTask(string id, int gpus, double cpus = 1) => new()
    {
        Spec = new TaskSpec { Id = new TaskId(id), Command = CommandSpec.FromShell("true"), Resources = Resources.FromScalars(cpus: cpus, memMb: 512, gpus: gpus) },
        Duration = TimeSpan.FromHours(1),
    };

    /// <summary>What the machines switched on bill per hour, from <paramref name="prices"/> (the test's own numbers) and the machines each plan uses.</summary>
    private static double MachineBill(PlacementProblem problem, PlacementPlan plan, IReadOnlyDictionary<string, double> prices) =>
        plan.Assignments.Select(a => problem.Machines[a.MachineIndex]).Where(m => m.Free.Contains(m.Total)).Distinct().Sum(m => prices[m.AgentId.Value]);

    [Fact]
    public void A_one_gpu_task_goes_to_the_small_machine_the_bill_is_its_price_where_chargeback_would_take_a_share_of_the_big_one()
    {
        var prices = new Dictionary<string, double> { ["small"] = 1.0, ["big"] = 6.0 };
        PlacementMachine[] machines = [Gpu("small", 1, 8, 1.0), Gpu("big", 8, 64, 6.0)];
        var problem = new PlacementProblem { Tasks = [GpuTask("train", 1)], Machines = machines, Objective = PlacementObjective.Cheapest };

        var plan = Fx.Optimizer().Solve(problem);
        Assert.Equal("small", Assert.Single(plan.Assignments).AgentId.Value);
        Assert.Equal(BillingMode.Machine, plan.Bill.Mode);
        Assert.Equal(1.0, plan.Bill.PerHour, 9);
        Assert.Equal(MachineBill(problem, plan, prices), plan.Bill.PerHour, 9);
        Assert.Equal("small", Assert.Single(plan.Bill.MachinesSwitchedOn).Value);
        Assert.Equal("big", Assert.Single(plan.Bill.MachinesLeftIdle).Value);
        // The bound covers the GPU fractionally with the cheapest GPU-hour (1/8 of $6): valid, not tight.
        Assert.Equal(0.75, plan.Bill.LowerBoundPerHour, 9);
        Assert.Equal(25, plan.Bill.GapPercent, 9);

        // A fixed cluster charging owners by share: 1/8 of the big machine ($0.75) is less than all of the small one.
        var chargeback = Fx.Optimizer().Solve(problem with { Billing = BillingMode.Chargeback });
        Assert.Equal("big", Assert.Single(chargeback.Assignments).AgentId.Value);
        Assert.Equal(0.75, chargeback.Bill.PerHour, 9);
    }

    [Fact]
    public void Room_on_a_machine_that_already_runs_is_paid_for_so_using_it_adds_nothing_to_the_bill()
    {
        // "busy" already runs something (4 of its 8 cpus are free) and is dear; "cheap" is idle.
        var busy = Gpu("busy", 0, 8, 5.0, free: Resources.FromScalars(cpus: 4, memMb: 4096));
        var cheap = Gpu("cheap", 0, 8, 0.10);
        var problem = new PlacementProblem { Tasks = [GpuTask("a", 0, cpus: 2), GpuTask("b", 0, cpus: 2)], Machines = [busy, cheap], Objective = PlacementObjective.Cheapest };

        var plan = Fx.Optimizer().Solve(problem);
        Assert.All(plan.Assignments, a => Assert.Equal("busy", a.AgentId.Value));
        Assert.Equal(0, plan.Bill.PerHour, 9);
        Assert.Empty(plan.Bill.MachinesSwitchedOn);
        Fx.AssertValid(problem, plan);
    }

    [Fact]
    public void Gpu_and_cpu_tasks_sharing_a_machine_pay_its_price_once_and_their_parts_add_up_to_the_bill()
    {
        var prices = new Dictionary<string, double> { ["node"] = 8.0 };
        var problem = new PlacementProblem
        {
            // One task takes most of the GPUs, the other most of the cpus: by share they would pay 7/8 + 7/8 of the machine.
            Tasks = [GpuTask("gpu", 7, cpus: 1), GpuTask("cpu", 0, cpus: 56)],
            Machines = [Gpu("node", 8, 64, 8.0)],
            Objective = PlacementObjective.Cheapest,
        };
        var plan = Fx.Optimizer().Solve(problem);
        Assert.Equal(2, plan.Assignments.Count);
        Assert.Equal(8.0, plan.Bill.PerHour, 9);
        Assert.Equal(MachineBill(problem, plan, prices), plan.Bill.PerHour, 9);
        Assert.Equal(plan.Bill.PerHour, plan.Assignments.Sum(a => a.ChargebackPerHour), 9);
        Assert.Equal(plan.Bill.Total, plan.Assignments.Sum(a => a.Cost), 9);
        Assert.Equal(plan.TotalCost, plan.Bill.Total, 9);

        var chargeback = Fx.Optimizer().Solve(problem with { Billing = BillingMode.Chargeback });
        Assert.Equal(14.0, chargeback.Bill.PerHour, 9);
    }

    [Fact]
    public void A_service_pays_by_the_hour_whatever_the_speed_while_a_batch_task_pays_for_its_runtime()
    {
        PlacementMachine[] machines = [Fx.Machine("fast", pricePerHour: 0.50, speed: 2.5), Fx.Machine("slow", pricePerHour: 0.25)];
        var service = new PendingTask { Spec = Fx.Spec("web", 1, 128) };
        var plan = Fx.Optimizer().Solve(new PlacementProblem { Tasks = [service], Machines = machines, Objective = PlacementObjective.Cheapest });
        Assert.Equal("slow", Assert.Single(plan.Assignments).AgentId.Value);
        Assert.Equal(0.25, plan.Bill.PerHour, 9);
        // For services the solver's objective is the bill: its proof of optimality is a bound on the bill.
        Assert.Equal(SolveStatus.Optimal, plan.Statistics.Status);
        Assert.InRange(plan.Bill.GapPercent, 0, 0.01);

        // An hour of work at speed 1 takes 24 minutes on the fast machine: $0.20 there against $0.25.
        var batch = Fx.Task("job", hours: 1);
        plan = Fx.Optimizer().Solve(new PlacementProblem { Tasks = [batch], Machines = machines, Objective = PlacementObjective.Cheapest });
        Assert.Equal("fast", Assert.Single(plan.Assignments).AgentId.Value);
        Assert.Equal(0.20, plan.Bill.Total, 9);
    }

    [Fact]
    public void A_fast_gpu_speeds_up_gpu_work_only_a_cpu_task_on_that_machine_runs_at_its_cpu_speed()
    {
        // "gpu": cpus at speed 1, GPUs at speed 4; "cpu": speed 2, no GPUs.
        var gpuNode = PlacementMachine.FromAgent(new AgentInfo
        {
            Id = new AgentId("gpu"), Hostname = "gpu", Resources = Resources.FromScalars(cpus: 8, memMb: 8192, gpus: 2),
            Cost = new CostModel { MachinePerHour = 1, SpeedFactor = 1, GpuSpeedFactor = 4 },
        });
        var cpuNode = Fx.Machine("cpu", cpus: 8, mem: 8192, pricePerHour: 1.2, speed: 2);
        // An hour of work each, due in 40 minutes: the cpu task only makes it on "cpu" (30 min; 60 on "gpu"), the GPU
        // task only on "gpu" (15 min).
        var cpuTask = Fx.Task("crunch", cpus: 1, hours: 1, deadlineIn: TimeSpan.FromMinutes(40));
        var gpuTask = new PendingTask
        {
            Spec = new TaskSpec { Id = new TaskId("train"), Command = CommandSpec.FromShell("true"), Resources = Resources.FromScalars(cpus: 1, memMb: 512, gpus: 1) },
            Duration = TimeSpan.FromHours(1),
            Deadline = Fx.Now + TimeSpan.FromMinutes(40),
        };
        var problem = new PlacementProblem { Tasks = [cpuTask, gpuTask], Machines = [gpuNode, cpuNode], Objective = PlacementObjective.CheapestWithinDeadline };

        var plan = Fx.Optimizer().Solve(problem);
        var byTask = plan.Assignments.ToDictionary(a => a.TaskId.Value);
        Assert.Equal("cpu", byTask["crunch"].AgentId.Value);
        Assert.Equal(TimeSpan.FromMinutes(30), byTask["crunch"].Runtime);
        Assert.Equal("gpu", byTask["train"].AgentId.Value);
        Assert.Equal(TimeSpan.FromMinutes(15), byTask["train"].Runtime);
    }

    [Fact]
    public void The_bound_sees_that_a_gpu_machines_cpus_go_to_its_gpu_task_so_the_cpu_only_task_needs_another_machine()
    {
        // Covering the GPU ($4) or the 16 cpus ($1 per 8) alone bounds the bill at $4; the GPU task takes all eight
        // cpus of the GPU machine, so the cpu-only task switches on a $1 machine: $5, which the class LP proves.
        var prices = new Dictionary<string, double> { ["g"] = 4, ["c0"] = 1, ["c1"] = 1 };
        PlacementMachine[] machines = [Gpu("g", 1, 8, 4), Gpu("c0", 0, 8, 1), Gpu("c1", 0, 8, 1)];
        var problem = new PlacementProblem { Tasks = [GpuTask("train", 1, cpus: 8), GpuTask("web", 0, cpus: 8)], Machines = machines, Objective = PlacementObjective.Cheapest };
        var plan = Fx.Optimizer().Solve(problem);
        Assert.Equal(2, plan.Assignments.Count);
        Assert.Equal(5, MachineBill(problem, plan, prices), 9);
        Assert.Equal(5, plan.Bill.PerHour, 9);
        Assert.InRange(plan.Bill.LowerBoundPerHour, 5 - 1e-4, 5);
    }

    /// <summary>The least any valid assignment of the plan's placed tasks bills, by enumeration (cpus and memory only), from the test's own prices.</summary>
    private static double LeastBill(PlacementProblem problem, PlacementPlan plan, IReadOnlyDictionary<string, double> prices)
    {
        var tasks = plan.Assignments.Select(a => problem.Tasks[a.TaskIndex].Spec.Resources).ToArray();
        var machines = problem.Machines;
        var at = new int[tasks.Length];
        var least = double.MaxValue;
        while (true)
        {
            var cpus = new double[machines.Count];
            var mem = new double[machines.Count];
            for (var i = 0; i < tasks.Length; i++)
            {
                cpus[at[i]] += tasks[i].Cpus;
                mem[at[i]] += tasks[i].MemMb;
            }
            if (Enumerable.Range(0, machines.Count).All(m => cpus[m] <= machines[m].Free.Cpus + 1e-9 && mem[m] <= machines[m].Free.MemMb + 1e-9))
                least = Math.Min(least, Enumerable.Range(0, machines.Count).Where(m => cpus[m] > 0 || mem[m] > 0).Sum(m => prices[machines[m].AgentId.Value]));
            var j = 0;
            while (j < at.Length && at[j] == machines.Count - 1) at[j++] = 0;
            if (j == at.Length) break;
            at[j]++;
        }
        return least;
    }

    /// <summary>Clusters of up to <paramref name="machines"/> priced machines and up to <paramref name="tasks"/> cpu tasks, as raw numbers.</summary>
    private static Gen<(double[] Prices, double[] Cpus, double[] Tasks)> Clusters(int machines, int tasks) =>
        Gen.Select(
            Gen.Int[1, machines].SelectMany(m => Gen.Select(Gen.Double[0.05, 4].Array[m], Gen.Int[1, 8].Select(c => (double)c).Array[m])),
            Gen.Int[1, 4].Select(c => c * 0.5).Array[1, tasks],
            (machines, tasks) => (machines.Item1, machines.Item2, tasks));

    /// <summary>The machines of a generated cluster, and each one's price (the test's own numbers) by agent id.</summary>
    private static (List<PlacementMachine> Machines, Dictionary<string, double> Prices) MachinesOf(double[] prices, double[] cpus)
    {
        var priceOf = new Dictionary<string, double>();
        var machines = prices.Select((price, i) =>
        {
            priceOf["m" + i] = Math.Round(price, 2);
            return Fx.Machine("m" + i, cpus: cpus[i], mem: 1024 * cpus[i], pricePerHour: Math.Round(price, 2));
        }).ToList();
        return (machines, priceOf);
    }

    private static readonly Gen<(double[] Prices, double[] Cpus, double[] Tasks)> Small = Clusters(4, 6);

    [Fact]
    public void The_lower_bound_never_exceeds_the_least_bill_any_assignment_of_the_same_tasks_has()
    {
        Small.Sample(instance =>
        {
            var (prices, cpus, tasks) = instance;
            var (machines, priceOf) = MachinesOf(prices, cpus);
            var problem = Fx.Problem(PlacementObjective.Cheapest, [.. tasks.Select((c, i) => Fx.Task("t" + i, cpus: c, mem: 700 * c))], machines);
            var plan = Fx.Optimizer().Solve(problem);
            var least = LeastBill(problem, plan, priceOf);
            Assert.True(plan.Bill.LowerBoundPerHour <= least + 1e-9, $"bound {plan.Bill.LowerBoundPerHour} above the least bill {least}");
            Assert.True(least <= plan.Bill.PerHour + 1e-9);
        }, iter: 200, seed: "7Qm2sLrN0aB4");
    }

    private static readonly Gen<(double[] Prices, double[] Cpus, double[] Tasks)> Instances = Clusters(5, 10);

    [Fact]
    public void On_random_clusters_cheapest_places_as_many_as_first_fit_and_best_fit_and_bills_no_more_than_they_or_pack_do()
    {
        Instances.Sample(instance =>
        {
            var (prices, cpus, tasks) = instance;
            var (machines, priceOf) = MachinesOf(prices, cpus);
            var problem = Fx.Problem(PlacementObjective.Cheapest, [.. tasks.Select((c, i) => Fx.Task("t" + i, cpus: c, mem: 256))], machines);
            var cheapest = Fx.Optimizer().Solve(problem);
            Fx.AssertValid(problem, cheapest);
            var bill = MachineBill(problem, cheapest, priceOf);
            Assert.Equal(bill, cheapest.Bill.PerHour, 6);
            Assert.True(cheapest.Bill.LowerBoundPerHour <= cheapest.Bill.PerHour + 1e-9);
            foreach (var other in new[]
                     {
                         Fx.Optimizer(OptimizerAlgorithm.FirstFit).Solve(problem),
                         Fx.Optimizer(OptimizerAlgorithm.BestFit).Solve(problem),
                         Fx.Optimizer().Solve(problem with { Objective = PlacementObjective.Pack }),
                     })
            {
                Assert.True(cheapest.Assignments.Count >= other.Assignments.Count, $"cheapest placed {cheapest.Assignments.Count}, another method {other.Assignments.Count}");
                if (cheapest.Assignments.Count == other.Assignments.Count)
                    Assert.True(bill <= MachineBill(problem, other, priceOf) + 1e-6, $"cheapest bills {bill}, another method {MachineBill(problem, other, priceOf)}");
            }
        }, iter: 60, seed: "3kY5JjcvMBK1");  // fixed, so the suite is deterministic
    }
}
