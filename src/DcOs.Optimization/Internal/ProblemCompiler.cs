using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Optimization.Internal;

/// <summary>
/// Turns a validated <see cref="PlacementProblem"/> into a <see cref="CompiledProblem"/>: interns shapes, constraint
/// sets, cost profiles and classes (by reference first, then by value, since tasks of one app usually share
/// instances), and fills the per (class, profile) tables. Linear in tasks plus machines times distinct constraint sets.
/// </summary>
internal static class ProblemCompiler
{
    public static CompiledProblem Compile(PlacementProblem problem, OptimizerOptions options, DateTimeOffset now)
    {
        var weights = ObjectiveWeights.From(problem.Objective);
        var machineBilling = problem.Billing == BillingMode.Machine;
        var tasks = problem.Tasks as PendingTask[] ?? [.. problem.Tasks];
        var machines = problem.Machines as PlacementMachine[] ?? [.. problem.Machines];
        var n = tasks.Length;

        // ---- shapes and dimensions
        var shapeByRef = new Dictionary<Resources, int>(ReferenceEqualityComparer.Instance);
        var shapeByValue = new Dictionary<Resources, int>();
        var shapeResources = new List<Resources>();
        var shapeOfTask = new int[n];
        for (var t = 0; t < n; t++)
        {
            var r = tasks[t].Spec.Resources;
            if (!shapeByRef.TryGetValue(r, out var s))
            {
                if (!shapeByValue.TryGetValue(r, out s))
                {
                    s = shapeResources.Count;
                    shapeResources.Add(r);
                    shapeByValue[r] = s;
                }
                shapeByRef[r] = s;
            }
            shapeOfTask[t] = s;
        }
        var dimIndex = new Dictionary<DimensionKey, int>();
        var dims = new List<DimensionKey>();
        foreach (var r in shapeResources)
        {
            foreach (var item in r)
            {
                if (item.Kind != ResourceKind.Scalar) continue;
                var key = new DimensionKey(item.Name, item.Role, item.Reservation);
                if (dimIndex.TryAdd(key, dims.Count)) dims.Add(key);
            }
        }
        var d = dims.Count;
        var shapes = new TaskShape[shapeResources.Count];
        var hasNonScalar = false;
        for (var s = 0; s < shapes.Length; s++)
        {
            var demand = new long[d];
            List<Resource>? nonScalar = null;
            foreach (var item in shapeResources[s])
            {
                if (item.Kind == ResourceKind.Scalar) demand[dimIndex[new DimensionKey(item.Name, item.Role, item.Reservation)]] += item.Scalar.Milli;
                else (nonScalar ??= []).Add(item);
            }
            hasNonScalar |= nonScalar is not null;
            shapes[s] = new TaskShape { Resources = shapeResources[s], Demand = demand, NonScalar = nonScalar is null ? null : Resources.Of(nonScalar) };
        }

        // ---- constraint sets
        var setByRef = new Dictionary<IReadOnlyList<PlacementConstraint>, int>(ReferenceEqualityComparer.Instance);
        var setByValue = new Dictionary<IReadOnlyList<PlacementConstraint>, int>(ConstraintListComparer.Instance);
        var sets = new List<ConstraintSet>();
        var setOfTask = new int[n];
        for (var t = 0; t < n; t++)
        {
            var list = tasks[t].Spec.Constraints;
            if (!setByRef.TryGetValue(list, out var cs))
            {
                if (!setByValue.TryGetValue(list, out cs))
                {
                    cs = sets.Count;
                    PlacementConstraint[] all = [.. list];
                    sets.Add(new ConstraintSet { All = all, Dynamic = [.. all.Where(ConstraintSet.IsDynamic)] });
                    setByValue[list] = cs;
                }
                setByRef[list] = cs;
            }
            setOfTask[t] = cs;
        }

        // ---- groups with dynamic constraints
        var groupIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var groupDynamic = new List<List<PlacementConstraint>>();
        var groupNames = new List<string>();
        var groupOfTask = new int[n];
        for (var t = 0; t < n; t++)
        {
            groupOfTask[t] = -1;
            var name = tasks[t].Group;
            var dynamic = sets[setOfTask[t]].Dynamic;
            if (name is null || dynamic.Length == 0) continue;
            if (!groupIndex.TryGetValue(name, out var g))
            {
                g = groupNames.Count;
                groupIndex[name] = g;
                groupNames.Add(name);
                groupDynamic.Add([]);
            }
            foreach (var c in dynamic)
            {
                if (!groupDynamic[g].Contains(c)) groupDynamic[g].Add(c);
            }
            groupOfTask[t] = g;
        }
        // A group member without dynamic constraints of its own still counts against the group's.
        for (var t = 0; t < n; t++)
        {
            if (groupOfTask[t] < 0 && tasks[t].Group is { } name && groupIndex.TryGetValue(name, out var g)) groupOfTask[t] = g;
        }
        var groups = new GroupInfo[groupNames.Count];
        for (var g = 0; g < groups.Length; g++)
        {
            groups[g] = new GroupInfo
            {
                Name = groupNames[g],
                Dynamic = [.. groupDynamic[g]],
                Existing = problem.GroupPlacements.TryGetValue(groupNames[g], out var existing) ? existing : [],
            };
        }

        // ---- GPU models: interned case-insensitively over the machines' devices; a task's model no machine has is -2
        var modelIds = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var machine in machines)
        {
            foreach (var g in machine.Gpus) modelIds.TryAdd(g.Device.Model, modelIds.Count);
        }
        int ModelOf(string? model) => model is null ? -1 : modelIds.TryGetValue(model, out var id) ? id : -2;

        // ---- task classes
        var useDuration = weights.Cost > 0 || weights.Time > 0 || weights.Deadlines;
        var refHours = new double[n];
        var classIndex = new Dictionary<ClassKey, int>();
        var classMembers = new List<List<int>>();
        var classOfTask = new int[n];
        for (var t = 0; t < n; t++)
        {
            var task = tasks[t];
            refHours[t] = task.Duration is { } duration ? duration.TotalHours
                : task.WorkUnits is { } units ? units / options.WorkUnitsPerHour
                : options.DefaultDuration.TotalHours;
            var key = new ClassKey(
                shapeOfTask[t],
                task.Priority,
                useDuration ? BitConverter.DoubleToInt64Bits(refHours[t]) : 0,
                task.Duration is null && task.WorkUnits is null,
                weights.Deadlines && task.Deadline is { } dl ? dl.UtcTicks : long.MinValue,
                task.AllowPreemptible,
                setOfTask[t],
                groupOfTask[t],
                ModelOf(task.Spec.GpuModel));
            if (!classIndex.TryGetValue(key, out var c))
            {
                c = classMembers.Count;
                classIndex[key] = c;
                classMembers.Add([]);
            }
            classMembers[c].Add(t);
            classOfTask[t] = c;
        }
        var classes = new TaskClass[classMembers.Count];
        var classDemand = new long[classes.Length * d];
        var classGpu = new TaskGpu[classes.Length];
        for (var c = 0; c < classes.Length; c++)
        {
            var first = classMembers[c][0];
            var task = tasks[first];
            classes[c] = new TaskClass
            {
                Index = c,
                Members = [.. classMembers[c]],
                Shape = shapeOfTask[first],
                Priority = task.Priority,
                RefHours = refHours[first],
                LongRunning = task.Duration is null && task.WorkUnits is null,
                Deadline = weights.Deadlines ? task.Deadline : null,
                AllowPreemptible = task.AllowPreemptible,
                ConstraintSet = setOfTask[first],
                Group = groupOfTask[first],
            };
            shapes[shapeOfTask[first]].Demand.CopyTo(classDemand, c * d);
            var (devices, thousandths) = GpuShares.Demand(task.Spec.Resources.Gpus);
            classGpu[c] = devices == 0 ? TaskGpu.None : new TaskGpu(devices, thousandths, ModelOf(task.Spec.GpuModel));
        }

        // ---- GPU devices per machine, when some task asks for GPUs and some machine lists its devices
        var anyGpuTask = classGpu.Any(g => g.Devices > 0);
        int[]?[]? gpuFree = null, gpuModels = null, gpuIndexes = null;
        // A model asked for where no machine lists devices still needs the arrays: no machine can show it.
        if (anyGpuTask && (machines.Any(x => x.Gpus.Count > 0) || classGpu.Any(g => g.Model != -1)))
        {
            gpuFree = new int[]?[machines.Length];
            gpuModels = new int[]?[machines.Length];
            gpuIndexes = new int[]?[machines.Length];
            for (var i = 0; i < machines.Length; i++)
            {
                var list = machines[i].Gpus;
                if (list.Count == 0) continue;
                gpuFree[i] = [.. list.Select(g => GpuShares.ToThousandths(g.Free))];
                gpuModels[i] = [.. list.Select(g => modelIds[g.Device.Model])];
                gpuIndexes[i] = [.. list.Select(g => g.Device.Index)];
            }
        }

        // ---- machines: free vectors, profiles, static keys
        var m = machines.Length;
        var free = new long[m * d];
        var nonScalarFree = hasNonScalar ? new Resources?[m] : null;
        var idle = new bool[m];
        var profileIndex = new Dictionary<(CostModel, Resources), int>();
        var profiles = new List<CostProfile>();
        var profileOfMachine = new int[m];
        var maskIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var staticIndex = new Dictionary<(int Profile, int Mask), int>();
        var profileOfStatic = new List<int>();
        var masks = new List<bool[]>();
        var staticOfMachine = new int[m];
        var anyConstraint = sets.Any(s => s.All.Length > 0);
        var maskChars = new char[sets.Count];
        var noPlaced = Array.Empty<IPlacementTarget>();
        for (var i = 0; i < m; i++)
        {
            var machine = machines[i];
            foreach (var item in machine.Free)
            {
                if (item.Kind == ResourceKind.Scalar && dimIndex.TryGetValue(new DimensionKey(item.Name, item.Role, item.Reservation), out var di))
                    free[i * d + di] += item.Scalar.Milli;
            }
            if (nonScalarFree is not null) nonScalarFree[i] = Resources.Of(machine.Free.Where(r => r.Kind != ResourceKind.Scalar));
            idle[i] = machine.IsIdle;

            var profileKey = (machine.Cost, machine.Total);
            if (!profileIndex.TryGetValue(profileKey, out var p))
            {
                p = profiles.Count;
                profileIndex[profileKey] = p;
                profiles.Add(new CostProfile { Cost = machine.Cost, Total = machine.Total, MachinePrice = machine.Cost.MachinePricePerHour(machine.Total) });
            }
            profileOfMachine[i] = p;

            var mask = 0;
            if (anyConstraint)
            {
                for (var s = 0; s < sets.Count; s++) maskChars[s] = Satisfies(sets[s].All, machine.Target, noPlaced) ? '1' : '0';
                var text = new string(maskChars);
                if (!maskIndex.TryGetValue(text, out mask))
                {
                    mask = maskIndex.Count;
                    maskIndex[text] = mask;
                    masks.Add([.. maskChars.Select(ch => ch == '1')]);
                }
            }
            else if (masks.Count == 0)
            {
                masks.Add([.. Enumerable.Repeat(true, sets.Count)]);
            }
            if (!staticIndex.TryGetValue((p, mask), out var sk))
            {
                sk = profileOfStatic.Count;
                staticIndex[(p, mask)] = sk;
                profileOfStatic.Add(p);
            }
            staticOfMachine[i] = sk;
        }
        var maskOfStatic = new int[profileOfStatic.Count];
        foreach (var ((_, mask), sk) in staticIndex) maskOfStatic[sk] = mask;

        // ---- static compatibility and pair tables
        var skCount = profileOfStatic.Count;
        var pCount = profiles.Count;
        var staticOk = new bool[classes.Length * skCount];
        var pairPrice = new double[classes.Length * pCount];
        var pairHours = new double[classes.Length * pCount];
        // Hours paid for: a task's runtime, or for a long-running one (a service) the billing horizon, whatever the speed.
        var paidHours = new double[classes.Length * pCount];
        for (var c = 0; c < classes.Length; c++)
        {
            var cls = classes[c];
            var shape = shapes[cls.Shape].Resources;
            for (var p = 0; p < pCount; p++)
            {
                // Machine billing: a task pays for the units it uses; the machine's price is a fixed charge (below).
                pairPrice[c * pCount + p] = machineBilling
                    ? profiles[p].Cost.UnitPricePerHour(shape)
                    : profiles[p].Cost.TaskPricePerHour(shape, profiles[p].Total);
                // The speed of the kind the task's work is bound by: GPUs for a task asking for them.
                pairHours[c * pCount + p] = cls.RefHours / profiles[p].Cost.SpeedFor(shape);
                paidHours[c * pCount + p] = cls.LongRunning ? cls.RefHours : pairHours[c * pCount + p];
            }
            var allowedHours = cls.Deadline is { } deadline ? (deadline - now).TotalHours : double.PositiveInfinity;
            for (var sk = 0; sk < skCount; sk++)
            {
                var p = profileOfStatic[sk];
                staticOk[c * skCount + sk] =
                    masks[maskOfStatic[sk]][cls.ConstraintSet] &&
                    (cls.AllowPreemptible || !profiles[p].Preemptible) &&
                    pairHours[c * pCount + p] <= allowedHours;
            }
        }

        // ---- which classes fit somewhere, and the normalizers over the pairs that do
        var initial = MachineClassSet.Build(d, staticOfMachine, idle, free, nonScalarFree, null, Enumerable.Range(0, m), gpuFree, gpuModels);
        var placeable = new bool[classes.Length];
        double maxCost = 0, maxHours = 0, maxPack = 0;
        // Machine billing: how long an idle machine of each profile would be paid for, at most (its longest task there).
        var fixedHours = new double[pCount];
        var classCount = classes.Length;
        for (var k = 0; k < initial.Count; k++)
        {
            var rep = initial.Representative(k);
            var sk = staticOfMachine[rep];
            var p = profileOfMachine[rep];
            if (idle[rep]) maxPack = Math.Max(maxPack, profiles[p].MachinePrice);
            for (var c = 0; c < classCount; c++)
            {
                if (!staticOk[c * skCount + sk] || Fit(classDemand, c, d, free, rep, shapes[classes[c].Shape].NonScalar, nonScalarFree) == 0) continue;
                if (gpuFree is not null && classGpu[c].Devices > 0 && classGpu[c].Fit(gpuFree[rep], gpuModels![rep]) == 0) continue;
                placeable[c] = true;
                maxCost = Math.Max(maxCost, pairPrice[c * pCount + p] * paidHours[c * pCount + p]);
                if (idle[rep]) fixedHours[p] = Math.Max(fixedHours[p], paidHours[c * pCount + p]);
                maxHours = Math.Max(maxHours, pairHours[c * pCount + p]);
            }
        }
        var packUnit = maxPack > 0;
        // The cost term's unit covers both the dearest task and the dearest machine to switch on, so they weigh in dollars.
        var fixedCost = new double[pCount];
        for (var p = 0; p < pCount; p++)
        {
            fixedCost[p] = machineBilling && weights.Cost > 0 ? profiles[p].Cost.MachinePerHour * fixedHours[p] : 0;
            maxCost = Math.Max(maxCost, fixedCost[p]);
        }
        if (maxCost <= 0) maxCost = 1;
        if (maxHours <= 0) maxHours = 1;
        if (maxPack <= 0) maxPack = 1;

        var arcCost = new long[classes.Length * pCount];
        for (var i = 0; i < arcCost.Length; i++)
        {
            var value = weights.Cost * pairPrice[i] * paidHours[i] / maxCost + weights.Time * pairHours[i] / maxHours;
            arcCost[i] = (long)Math.Round(Math.Min(value, 1.0) * CompiledProblem.Scale, MidpointRounding.AwayFromZero);
        }
        var packCost = new long[pCount];
        var fixedCharge = new double[pCount];
        for (var p = 0; p < pCount; p++)
        {
            // With no machine price anywhere, every machine counts 1: fewest machines.
            var price = packUnit ? profiles[p].MachinePrice / maxPack : 1.0;
            fixedCharge[p] = weights.Cost * fixedCost[p] / maxCost;
            packCost[p] = (long)Math.Round(Math.Min(weights.Pack * Math.Min(price, 1.0) + fixedCharge[p], 1.0) * CompiledProblem.Scale, MidpointRounding.AwayFromZero);
        }
        var spreadUnit = 2 * (long)Math.Round(weights.Spread * CompiledProblem.Scale / 2, MidpointRounding.AwayFromZero);

        return new CompiledProblem
        {
            Problem = problem,
            Options = options,
            Now = now,
            Weights = weights,
            Dimensions = [.. dims],
            Tasks = tasks,
            TaskRefHours = refHours,
            ClassOfTask = classOfTask,
            Classes = classes,
            Shapes = shapes,
            ClassDemand = classDemand,
            ConstraintSets = [.. sets],
            Groups = groups,
            HasNonScalar = hasNonScalar,
            Machines = machines,
            InitialFree = free,
            InitialNonScalar = nonScalarFree,
            InitiallyIdle = idle,
            InitialGpuFree = gpuFree,
            GpuModels = gpuModels,
            GpuIndexes = gpuIndexes,
            ClassGpu = classGpu,
            Profiles = [.. profiles],
            ProfileOfMachine = profileOfMachine,
            StaticKeyOfMachine = staticOfMachine,
            ProfileOfStaticKey = [.. profileOfStatic],
            StaticOk = staticOk,
            PairPricePerHour = pairPrice,
            PairHours = pairHours,
            PaidHours = paidHours,
            ArcCost = arcCost,
            PackCost = packCost,
            FixedCharge = fixedCharge,
            SpreadUnit = spreadUnit,
            Normalizers = (maxCost, maxHours, packUnit ? maxPack : 0),
            Placeable = placeable,
            InitialMachineClasses = initial.Count,
        };
    }

    private static bool Satisfies(PlacementConstraint[] constraints, IPlacementTarget target, IReadOnlyList<IPlacementTarget> placed)
    {
        foreach (var c in constraints)
        {
            if (!c.IsSatisfiedBy(target, placed)) return false;
        }
        return true;
    }

    private static int Fit(long[] classDemand, int c, int d, long[] free, int m, Resources? nonScalar, Resources?[]? nonScalarFree)
    {
        var fit = long.MaxValue;
        for (var i = 0; i < d; i++)
        {
            var need = classDemand[c * d + i];
            if (need > 0) fit = Math.Min(fit, free[m * d + i] / need);
        }
        if (nonScalar is not null && (nonScalarFree?[m] is not { } have || !have.Contains(nonScalar))) return 0;
        return fit == long.MaxValue ? 1 : (int)Math.Min(fit, int.MaxValue);
    }

    private readonly record struct ClassKey(int Shape, int Priority, long HoursBits, bool LongRunning, long DeadlineTicks, bool AllowPreemptible, int ConstraintSet, int Group, int GpuModel);

    private sealed class ConstraintListComparer : IEqualityComparer<IReadOnlyList<PlacementConstraint>>
    {
        public static readonly ConstraintListComparer Instance = new();

        public bool Equals(IReadOnlyList<PlacementConstraint>? x, IReadOnlyList<PlacementConstraint>? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.SequenceEqual(y));

        public int GetHashCode(IReadOnlyList<PlacementConstraint> obj)
        {
            var hash = new HashCode();
            foreach (var c in obj) hash.Add(c);
            return hash.ToHashCode();
        }
    }
}
