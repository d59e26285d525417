using Google.OrTools.Sat;

namespace DcOs.Optimization.Internal;

/// <summary>
/// Packs one machine class's share of tasks (from <see cref="ClassRelaxation"/>) onto as few of its identical machines
/// as CP-SAT finds: x[s, j] tasks of shape s on machine j, capacity per machine and dimension tied to used[j], machines
/// used in order. Shares are often tight in every dimension at once, where dealing tasks round-robin spills over;
/// this small vector bin-packing (shapes times machines, not tasks times machines) closes most of that gap.
/// </summary>
internal static class ClassPacking
{
    /// <summary>Per machine (position in <paramref name="machines"/>), per shape (position in <paramref name="shapes"/>), how many tasks; null when no packing was found.</summary>
    public static long[,]? Pack(
        CompiledProblem p, MachineState state, List<int> machines, List<(int Shape, long Count, int Class)> shapes, long target, double seconds,
        CancellationToken cancellationToken)
    {
        var rep = machines[0];
        // Room for a few more machines than the relaxation opened, in case its share does not pack exactly.
        var bins = (int)Math.Min(machines.Count, target + Math.Max(2, target / 10));
        var model = new CpModel();
        var x = new IntVar[shapes.Count, bins];
        var used = new BoolVar[bins];
        var fits = new long[shapes.Count];
        for (var s = 0; s < shapes.Count; s++) fits[s] = Math.Min(shapes[s].Count, state.Fit(shapes[s].Class, rep));
        var objective = LinearExpr.NewBuilder();
        // Hint: round-robin over the target machines.
        var hint = new long[shapes.Count, bins];
        var cursor = 0;
        var hintBins = (int)Math.Clamp(target, 1, bins);
        for (var s = 0; s < shapes.Count; s++)
        {
            for (var i = 0; i < shapes[s].Count; i++)
            {
                hint[s, cursor]++;
                cursor = cursor + 1 == hintBins ? 0 : cursor + 1;
            }
        }
        for (var j = 0; j < bins; j++)
        {
            used[j] = model.NewBoolVar("");
            objective.Add(used[j]);
            if (j > 0) model.Add(used[j - 1] >= used[j]);
            var hintFits = true;
            for (var s = 0; s < shapes.Count; s++)
            {
                x[s, j] = model.NewIntVar(0, fits[s], "");
                hintFits &= hint[s, j] <= fits[s];
            }
            for (var d = 0; d < p.D; d++)
            {
                var row = LinearExpr.NewBuilder();
                long load = 0;
                for (var s = 0; s < shapes.Count; s++)
                {
                    var need = p.ClassDemand[shapes[s].Class * p.D + d];
                    if (need == 0) continue;
                    row.AddTerm(x[s, j], need);
                    load += need * hint[s, j];
                }
                var free = state.Free[machines[j] * p.D + d];
                row.AddTerm(used[j], -free);
                model.Add(row <= 0);
                hintFits &= load <= free;
            }
            // A partial hint is fine: CP-SAT repairs it; only hint machines whose round-robin load fits.
            for (var s = 0; s < shapes.Count && hintFits; s++) model.AddHint(x[s, j], hint[s, j]);
            if (hintFits) model.AddHint(used[j], j < hintBins);
        }
        for (var s = 0; s < shapes.Count; s++)
        {
            var sum = LinearExpr.NewBuilder();
            for (var j = 0; j < bins; j++) sum.Add(x[s, j]);
            model.Add(sum == shapes[s].Count);
        }
        model.Minimize(objective);

        var result = new long[shapes.Count, bins];
        var (status, _) = CpSatSolver.Run(model, p.Options, seconds, solver =>
        {
            for (var s = 0; s < shapes.Count; s++)
            {
                for (var j = 0; j < bins; j++) result[s, j] = solver.Value(x[s, j]);
            }
        }, cancellationToken);
        return status is CpSolverStatus.Optimal or CpSolverStatus.Feasible ? result : null;
    }
}
