using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;
using DcOs.Optimization;

namespace DcOs.Benchmarks.Optimizer;

/// <summary>
/// A synthetic heterogeneous cluster and task mix, the same for quick mode and BenchmarkDotNet. Four machine types
/// (general, compute: dearer but 1.6x faster, spot: cheap, slower and preemptible, memory-heavy), interleaved so that
/// machine order says nothing about price; tasks in four sizes and four durations, 10 % at higher priority, 20 %
/// refusing preemptible machines. At 10 tasks per machine the cluster is about half full.
/// </summary>
public static class OptimizerWorkload
{
    private static readonly (string Name, double Cpus, double MemMb, double PricePerHour, double Speed, bool Preemptible)[] Types =
    [
        ("general", 16, 65_536, 0.80, 1.0, false),
        ("compute", 32, 65_536, 2.00, 1.6, false),
        ("spot", 16, 65_536, 0.30, 0.9, true),
        ("memory", 8, 131_072, 1.00, 1.0, false),
    ];

    private static readonly (Resources Resources, int Percent)[] Sizes =
    [
        (Resources.FromScalars(cpus: 0.5, memMb: 1_024), 50),
        (Resources.FromScalars(cpus: 1, memMb: 4_096), 30),
        (Resources.FromScalars(cpus: 2, memMb: 8_192), 15),
        (Resources.FromScalars(cpus: 1, memMb: 16_384), 5),
    ];

    private static readonly double[] Hours = [0.5, 1, 2, 4];

    private static readonly CommandSpec Command = CommandSpec.FromShell("./work");

    public static PlacementMachine[] Machines(int count)
    {
        var costs = Types.Select(t => new CostModel { MachinePerHour = t.PricePerHour, SpeedFactor = t.Speed, Preemptible = t.Preemptible }).ToArray();
        var totals = Types.Select(t => Resources.FromScalars(cpus: t.Cpus, memMb: t.MemMb)).ToArray();
        var attributes = Types.Select(t => Attributes.Parse("type:" + t.Name)).ToArray();
        var machines = new PlacementMachine[count];
        for (var i = 0; i < count; i++)
        {
            var type = i % Types.Length;
            machines[i] = PlacementMachine.FromAgent(new AgentInfo
            {
                Id = new AgentId($"agent-{i:D6}"),
                Hostname = $"node-{i:D6}.dc",
                Resources = totals[type],
                Attributes = attributes[type],
                Zone = $"zone-{i % 3}",
                Cost = costs[type],
            });
        }
        return machines;
    }

    public static PendingTask[] Tasks(int count, int seed = 42)
    {
        var random = new Random(seed);
        var tasks = new PendingTask[count];
        for (var i = 0; i < count; i++)
        {
            var roll = random.Next(100);
            var size = 0;
            while (roll >= Sizes[size].Percent)
            {
                roll -= Sizes[size].Percent;
                size++;
            }
            tasks[i] = new PendingTask
            {
                Spec = new TaskSpec { Id = new TaskId($"task-{i:D7}"), Command = Command, Resources = Sizes[size].Resources },
                Duration = TimeSpan.FromHours(Hours[random.Next(Hours.Length)]),
                Priority = random.Next(10) == 0 ? 1 : 0,
                AllowPreemptible = random.Next(5) != 0,
            };
        }
        return tasks;
    }

    public static PlacementProblem Problem(int tasks, int machines, PlacementObjective objective) =>
        new() { Tasks = Tasks(tasks), Machines = Machines(machines), Objective = objective };

    public static IPlacementOptimizer Optimizer(OptimizerAlgorithm algorithm, TimeSpan? timeLimit = null) =>
        PlacementOptimizer.Create(new OptimizerOptions { Algorithm = algorithm, TimeLimit = timeLimit ?? TimeSpan.FromSeconds(5) });
}
