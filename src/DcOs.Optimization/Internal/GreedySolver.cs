namespace DcOs.Optimization.Internal;

/// <summary>
/// One pass over the tasks, each put on one machine for good. Baselines (first-fit, best-fit), CP-SAT's hint, the
/// fallback when a solver ends without a plan, and the repair pass after the flow. Respects every constraint,
/// dynamic ones through <see cref="GroupTracker"/>, so its plans are always valid.
/// </summary>
internal static class GreedySolver
{
    /// <summary>Tasks by priority (highest first), then input order: the order of an online scheduler.</summary>
    public static int[] ByPriority(CompiledProblem p, IEnumerable<int> tasks)
    {
        var order = tasks.ToArray();
        var keys = new long[order.Length];
        for (var i = 0; i < order.Length; i++) keys[i] = (long)(ProblemValidator.MaxPriority - p.Tasks[order[i]].Priority) << 32 | (uint)order[i];
        Array.Sort(keys, order);
        return order;
    }

    /// <summary>
    /// Tasks by priority, then those that fit on at most half as many machines as the most flexible class (a GPU model,
    /// constraints, no preemptible machines) before the others, so the others do not take the few machines they can
    /// use, then largest first (first-fit decreasing packs better), then input order.
    /// </summary>
    public static int[] ByPriorityThenSize(CompiledProblem p, IEnumerable<int> tasks)
    {
        var order = tasks.ToArray();
        var size = ClassSizes(p);
        var restricted = Restricted(p);
        Array.Sort(order, (a, b) =>
        {
            var c = p.Tasks[b].Priority.CompareTo(p.Tasks[a].Priority);
            if (c != 0) return c;
            c = restricted[p.ClassOfTask[b]].CompareTo(restricted[p.ClassOfTask[a]]);
            if (c != 0) return c;
            c = size[p.ClassOfTask[b]].CompareTo(size[p.ClassOfTask[a]]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return order;
    }

    /// <summary>Per class, whether it fits (initially) on at most half as many machines as the most flexible class does.</summary>
    private static bool[] Restricted(CompiledProblem p)
    {
        var machines = new int[p.Classes.Length];
        var classes = MachineClassSet.Build(p.D, p.StaticKeyOfMachine, p.InitiallyIdle, p.InitialFree, p.InitialNonScalar, null, Enumerable.Range(0, p.M), p.InitialGpuFree, p.GpuModels);
        for (var k = 0; k < classes.Count; k++)
        {
            var rep = classes.Representative(k);
            for (var c = 0; c < machines.Length; c++)
            {
                if (p.Allowed(c, rep) && p.Fit(c, p.InitialFree, rep, p.InitialNonScalar, p.InitialGpuFree) > 0) machines[c] += classes.Members[k].Count;
            }
        }
        var most = machines.Length == 0 ? 0 : machines.Max();
        return [.. machines.Select(n => 2L * n <= most)];
    }

    /// <summary>
    /// Places <paramref name="order"/> one by one into <paramref name="state"/>; <paramref name="assignment"/> gets the
    /// machine of each placed task. Returns how many were placed.
    /// </summary>
    public static int Run(CompiledProblem p, MachineState state, GroupTracker tracker, int[] order, GreedyMode mode, int[] assignment, CancellationToken cancellationToken)
    {
        if (mode == GreedyMode.CostAware && p.SpreadUnit == 0 && !p.HasDynamicConstraints) return RunBucketed(p, state, order, assignment, cancellationToken);
        var norm = mode == GreedyMode.BestFit ? DimensionNormalizers(p) : [];
        // First-fit on a class without dynamic constraints never needs to look before the last machine that took it:
        // capacity only shrinks.
        var firstFrom = new int[p.Classes.Length];
        var placed = 0;
        for (var i = 0; i < order.Length; i++)
        {
            if ((i & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            var t = order[i];
            var c = p.ClassOfTask[t];
            var dynamic = p.Classes[c].Group >= 0;
            var best = -1;
            var bestScore = double.MaxValue;
            var start = mode == GreedyMode.FirstFit && !dynamic ? firstFrom[c] : 0;
            for (var m = start; m < p.M; m++)
            {
                if (!p.Allowed(c, m)) continue;
                var fit = state.Fit(c, m);
                if (fit == 0 || (dynamic && !tracker.Allows(c, m))) continue;
                if (mode == GreedyMode.FirstFit)
                {
                    best = m;
                    break;
                }
                var score = mode == GreedyMode.BestFit ? Leftover(p, state, c, m, norm) : MarginalCost(p, state, c, m, fit);
                if (score < bestScore)
                {
                    bestScore = score;
                    best = m;
                }
            }
            if (best < 0)
            {
                if (mode == GreedyMode.FirstFit && !dynamic) firstFrom[c] = p.M;
                continue;
            }
            if (mode == GreedyMode.FirstFit && !dynamic) firstFrom[c] = best;
            state.Place(c, best);
            tracker.Place(c, best);
            assignment[t] = best;
            placed++;
        }
        return placed;
    }

    /// <summary>
    /// Cost-aware greedy without spread or group constraints, in O(tasks x static keys) rather than O(tasks x
    /// machines): machines of one static key differ in cost only by being idle or not, so each key offers its first
    /// machine with room (found by a pointer per class and key that only moves forward, capacity only shrinking)
    /// and the cheapest offer wins. Approximate (a used machine further down a key is not seen when an idle one comes
    /// first), which is fine for a starting plan and a fallback.
    /// </summary>
    private static int RunBucketed(CompiledProblem p, MachineState state, int[] order, int[] assignment, CancellationToken cancellationToken)
    {
        var keys = p.StaticKeyCount;
        var buckets = new List<int>[keys];
        for (var k = 0; k < keys; k++) buckets[k] = [];
        for (var m = 0; m < p.M; m++) buckets[p.StaticKeyOfMachine[m]].Add(m);
        var pointer = new int[p.Classes.Length * keys];
        var placed = 0;
        for (var i = 0; i < order.Length; i++)
        {
            if ((i & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            var t = order[i];
            var c = p.ClassOfTask[t];
            var best = -1;
            var bestScore = double.MaxValue;
            for (var k = 0; k < keys; k++)
            {
                if (!p.StaticOk[c * keys + k]) continue;
                var list = buckets[k];
                var j = pointer[c * keys + k];
                var fit = 0;
                while (j < list.Count && (fit = state.Fit(c, list[j])) == 0) j++;
                pointer[c * keys + k] = j;
                if (j == list.Count) continue;
                var m = list[j];
                var score = MarginalCost(p, state, c, m, fit);
                if (score < bestScore || (score == bestScore && m < best))
                {
                    bestScore = score;
                    best = m;
                }
            }
            if (best < 0) continue;
            state.Place(c, best);
            assignment[t] = best;
            placed++;
        }
        return placed;
    }

    /// <summary>The scaled objective added by one more task of class c on m; an idle machine's price is shared by the tasks that fit on it.</summary>
    private static double MarginalCost(CompiledProblem p, MachineState state, int c, int m, int fit)
    {
        double score = p.Arc(c, m);
        if (state.IsIdle(m)) score += p.PackCost[p.ProfileOfMachine[m]] / (double)Math.Max(1, fit);
        score += p.SpreadUnit * (double)state.Load[m];
        return score;
    }

    private static double Leftover(CompiledProblem p, MachineState state, int c, int m, double[] norm)
    {
        var score = 0.0;
        for (var d = 0; d < p.D; d++) score += (state.Free[m * p.D + d] - p.ClassDemand[c * p.D + d]) / norm[d];
        return score;
    }

    private static double[] DimensionNormalizers(CompiledProblem p)
    {
        var norm = new double[p.D];
        for (var m = 0; m < p.M; m++)
        {
            for (var d = 0; d < p.D; d++) norm[d] = Math.Max(norm[d], p.InitialFree[m * p.D + d]);
        }
        for (var d = 0; d < p.D; d++) norm[d] = Math.Max(norm[d], 1);
        return norm;
    }

    /// <summary>Each class's largest demand relative to the largest free amount in that dimension (its dominant share of the biggest machine).</summary>
    public static double[] ClassSizes(CompiledProblem p)
    {
        var norm = DimensionNormalizers(p);
        var size = new double[p.Classes.Length];
        for (var c = 0; c < size.Length; c++)
        {
            for (var d = 0; d < p.D; d++) size[c] = Math.Max(size[c], p.ClassDemand[c * p.D + d] / norm[d]);
        }
        return size;
    }
}
