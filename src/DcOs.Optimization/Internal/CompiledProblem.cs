using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Optimization.Internal;

/// <summary>
/// A validated problem turned into flat arrays: dimensions, task classes, machines with their free vectors, cost
/// profiles, and per (class, profile) price and runtime tables. Every solver reads this and nothing else, which is what
/// makes their results comparable and deterministic.
/// </summary>
internal sealed class CompiledProblem
{
    /// <summary>Integer units of one full term: a task at the problem's largest cost (or runtime, or machine price) costs this much.</summary>
    public const long Scale = 1_000_000;

    public required PlacementProblem Problem { get; init; }

    public required OptimizerOptions Options { get; init; }

    public required DateTimeOffset Now { get; init; }

    public required ObjectiveWeights Weights { get; init; }

    public required DimensionKey[] Dimensions { get; init; }

    public int D => Dimensions.Length;

    // ---- tasks
    public required PendingTask[] Tasks { get; init; }

    /// <summary>Each task's own reference duration in hours (for its reported cost and finish).</summary>
    public required double[] TaskRefHours { get; init; }

    public required int[] ClassOfTask { get; init; }

    public required TaskClass[] Classes { get; init; }

    public required TaskShape[] Shapes { get; init; }

    /// <summary>Demand of class c in dimension d at [c * D + d].</summary>
    public required long[] ClassDemand { get; init; }

    public required ConstraintSet[] ConstraintSets { get; init; }

    public required GroupInfo[] Groups { get; init; }

    public bool HasNonScalar { get; init; }

    public bool HasDynamicConstraints => Groups.Length > 0;

    /// <summary>Per class: the GPU devices a task takes, the thousandths of each, and the model id it needs (-1 any, -2 a model no machine has).</summary>
    public required TaskGpu[] ClassGpu { get; init; }

    // ---- machines
    public required PlacementMachine[] Machines { get; init; }

    /// <summary>Free capacity of machine m in dimension d at [m * D + d].</summary>
    public required long[] InitialFree { get; init; }

    /// <summary>Free non-scalar resources per machine, when some task asks for specific ports or set items.</summary>
    public required Resources?[]? InitialNonScalar { get; init; }

    public required bool[] InitiallyIdle { get; init; }

    /// <summary>
    /// Per machine that lists GPU devices: each device's free thousandths (null for a machine without a list, whose
    /// gpus are a plain scalar). Null altogether when no task asks for GPUs or no machine lists devices.
    /// </summary>
    public required int[]?[]? InitialGpuFree { get; init; }

    /// <summary>Per machine, each device's model id (interned, case-insensitive), parallel to <see cref="InitialGpuFree"/>.</summary>
    public required int[]?[]? GpuModels { get; init; }

    /// <summary>Per machine, each device's <see cref="GpuDevice.Index"/> (what a plan reports), parallel to <see cref="InitialGpuFree"/>.</summary>
    public required int[]?[]? GpuIndexes { get; init; }

    /// <summary>Whether tasks are placed per GPU device (some task asks for GPUs and some machine lists its devices).</summary>
    public bool HasGpuDevices => InitialGpuFree is not null;

    public required CostProfile[] Profiles { get; init; }

    public required int[] ProfileOfMachine { get; init; }

    /// <summary>Machines agreeing on profile and on which constraint sets they satisfy share a static key.</summary>
    public required int[] StaticKeyOfMachine { get; init; }

    public required int[] ProfileOfStaticKey { get; init; }

    public int StaticKeyCount => ProfileOfStaticKey.Length;

    /// <summary>
    /// Whether class c may use machines of static key k at [c * StaticKeyCount + k]: its constraints' static parts hold,
    /// preemption is allowed, and (when enforced) the deadline is met at the profile's speed.
    /// </summary>
    public required bool[] StaticOk { get; init; }

    // ---- objective tables, [c * Profiles.Length + p]
    public required double[] PairPricePerHour { get; init; }

    /// <summary>Per (class, profile): the hours the cost term pays for (the runtime, or the horizon for a long-running task).</summary>
    public required double[] PaidHours { get; init; }

    public required double[] PairHours { get; init; }

    /// <summary>Scaled cost and time terms of one task of class c on a machine of profile p.</summary>
    public required long[] ArcCost { get; init; }

    /// <summary>Scaled pack term of starting to use an idle machine of profile p.</summary>
    public required long[] PackCost { get; init; }

    /// <summary>
    /// Per profile, in normalized units: what switching on an idle machine of the profile costs under the cost term
    /// (machine billing: its price for the longest runtime any task has there); 0 under chargeback.
    /// </summary>
    public required double[] FixedCharge { get; init; }

    /// <summary>Whether using an idle machine costs something of itself (pack, or the cost term under machine billing): the objective is not linear in the placement then.</summary>
    public bool HasFixedCharges => Weights.Pack > 0 || FixedCharge.Any(f => f > 0);

    /// <summary>Scaled spread term per pair of tasks sharing a machine (even, so CP-SAT can halve it).</summary>
    public required long SpreadUnit { get; init; }

    /// <summary>The largest cost, runtime and machine price the terms are measured against.</summary>
    public required (double Cost, double Hours, double Pack) Normalizers { get; init; }

    /// <summary>Classes that fit on at least one machine as the problem stands (the rest are unplaceable from the start).</summary>
    public required bool[] Placeable { get; init; }

    /// <summary>Machine classes of the initial state (for statistics).</summary>
    public required int InitialMachineClasses { get; init; }

    public int M => Machines.Length;

    public bool Allowed(int c, int m) => StaticOk[c * StaticKeyCount + StaticKeyOfMachine[m]];

    public long Arc(int c, int m) => ArcCost[c * Profiles.Length + ProfileOfMachine[m]];

    /// <summary>How many tasks of class c fit in <paramref name="free"/> (machine m's slice), its non-scalar resources and its GPU devices.</summary>
    public int Fit(int c, long[] free, int m, Resources?[]? nonScalar, int[]?[]? gpuFree)
    {
        var d = D;
        var demandBase = c * d;
        var freeBase = m * d;
        var fit = long.MaxValue;
        for (var i = 0; i < d; i++)
        {
            var need = ClassDemand[demandBase + i];
            if (need == 0) continue;
            var f = free[freeBase + i] / need;
            if (f < fit)
            {
                if (f == 0) return 0;
                fit = f;
            }
        }
        if (gpuFree is not null && ClassGpu[c].Devices > 0)
        {
            var deviceFit = ClassGpu[c].Fit(gpuFree[m], GpuModels![m]);
            if (deviceFit == 0) return 0;
            fit = Math.Min(fit, deviceFit);
        }
        var ns = Shapes[Classes[c].Shape].NonScalar;
        if (ns is not null)
        {
            if (nonScalar?[m] is not { } have || !have.Contains(ns)) return 0;
            fit = 1;
        }
        return fit == long.MaxValue ? Classes[c].Count : (int)Math.Min(fit, int.MaxValue);
    }
}
