namespace DcOs.Optimization.Internal;

/// <summary>
/// Makes a plan valid per GPU device and says which devices each task gets. The solvers plan GPU capacity per machine
/// (how many tasks of one class its devices hold), which does not tell whether tasks of several classes fit on the
/// devices together. So, after any solver: replay the plan machine by machine, whole-device tasks first and then the
/// largest shares (best-fit decreasing), taking devices as <see cref="TaskGpu.Take"/> does; a task whose devices do
/// not fit is taken off and offered to the cost-aware greedy, which sees devices; the state is then replayed in the
/// same order so each task's devices are those it was placed with. Every plan the optimizer returns is checked here.
/// </summary>
internal static class DevicePacking
{
    /// <summary>The state after the repaired plan (<paramref name="assignment"/> is updated) and each task's device indexes (null: none).</summary>
    public static (MachineState State, int[]?[] Devices) Repair(CompiledProblem p, int[] assignment, CancellationToken cancellationToken)
    {
        var placed = Enumerable.Range(0, assignment.Length).Where(t => assignment[t] >= 0).ToArray();
        // Whole devices first (most devices first), then shares largest first, then tasks without GPUs; input order breaks ties.
        var decreasing = (int[])placed.Clone();
        Array.Sort(decreasing, (a, b) =>
        {
            var ga = p.ClassGpu[p.ClassOfTask[a]];
            var gb = p.ClassGpu[p.ClassOfTask[b]];
            var c = (gb.Devices * (long)gb.Thousandths).CompareTo(ga.Devices * (long)ga.Thousandths);
            return c != 0 ? c : a.CompareTo(b);
        });
        // A greedy plan was built in priority-then-input order with the same device rule: replayed in that order, it fits
        // as it was found, where the decreasing order may not. The order that drops fewer tasks is kept.
        var (state, tracker, kept, dropped) = Pack(p, assignment, decreasing);
        if (dropped.Count > 0)
        {
            var other = Pack(p, assignment, GreedySolver.ByPriority(p, placed));
            if (other.Dropped.Count < dropped.Count) (state, tracker, kept, dropped) = other;
        }
        foreach (var t in dropped) assignment[t] = -1;
        if (dropped.Count > 0)
        {
            var retry = GreedySolver.ByPriorityThenSize(p, dropped);
            GreedySolver.Run(p, state, tracker, retry, GreedyMode.CostAware, assignment, cancellationToken);
            kept.AddRange(retry.Where(t => assignment[t] >= 0));
        }

        // Replay in placement order: the same rule on the same state takes the same devices, now recorded per task.
        var final = new MachineState(p);
        var devices = new int[]?[assignment.Length];
        foreach (var t in kept)
        {
            var m = assignment[t];
            if (final.Place(p.ClassOfTask[t], m) is { } positions) devices[t] = [.. positions.Select(i => p.GpuIndexes![m]![i])];
        }
        return (final, devices);
    }

    /// <summary>Places the plan's tasks in <paramref name="order"/> on a fresh state; the tasks whose devices do not fit are dropped (not placed).</summary>
    private static (MachineState State, GroupTracker Tracker, List<int> Kept, List<int> Dropped) Pack(CompiledProblem p, int[] assignment, int[] order)
    {
        var state = new MachineState(p);
        var tracker = new GroupTracker(p);
        var kept = new List<int>(order.Length);
        var dropped = new List<int>();
        foreach (var t in order)
        {
            var c = p.ClassOfTask[t];
            var m = assignment[t];
            if (p.ClassGpu[c].Devices > 0 && p.ClassGpu[c].Fit(state.Gpu![m], p.GpuModels![m]) == 0)
            {
                dropped.Add(t);
                continue;
            }
            state.Place(c, m);
            tracker.Place(c, m);
            kept.Add(t);
        }
        return (state, tracker, kept, dropped);
    }
}
