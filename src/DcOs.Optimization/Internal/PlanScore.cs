namespace DcOs.Optimization.Internal;

/// <summary>The objective of an assignment, in the solvers' integer units and in the normalized units users see.</summary>
internal static class PlanScore
{
    /// <summary>
    /// Scaled cost and time of every placed task, pack cost of every idle machine put to use, spread cost of every
    /// pair sharing a machine, plus <paramref name="penaltyUnit"/> times (1 + priority) for every placeable task left out.
    /// </summary>
    public static long Scaled(CompiledProblem p, int[] assignment, long penaltyUnit)
    {
        var load = new int[p.M];
        long total = 0;
        const long Cap = long.MaxValue >> 2;
        long penalties = 0;
        for (var t = 0; t < assignment.Length; t++)
        {
            var c = p.ClassOfTask[t];
            var m = assignment[t];
            if (m < 0)
            {
                // Exact while it fits, saturating beyond (astronomic penalties only).
                var weight = p.Classes[c].Weight;
                if (p.Placeable[c]) penalties = penaltyUnit > (Cap - penalties) / weight ? Cap : penalties + penaltyUnit * weight;
                continue;
            }
            total += p.Arc(c, m);
            load[m]++;
        }
        for (var m = 0; m < p.M; m++)
        {
            if (load[m] == 0) continue;
            if (p.InitiallyIdle[m]) total += p.PackCost[p.ProfileOfMachine[m]];
            total += p.SpreadUnit * ((long)load[m] * (load[m] - 1) / 2);
        }
        return penalties > Cap - total ? Cap : total + penalties;
    }

    /// <summary>The weighted objective of the placed tasks with each term in units of its normalizer (no penalties, no rounding).</summary>
    public static double Normalized(CompiledProblem p, int[] assignment)
    {
        var w = p.Weights;
        var (maxCost, maxHours, maxPack) = p.Normalizers;
        var load = new int[p.M];
        var pc = p.Profiles.Length;
        var total = 0.0;
        for (var t = 0; t < assignment.Length; t++)
        {
            var m = assignment[t];
            if (m < 0) continue;
            var i = p.ClassOfTask[t] * pc + p.ProfileOfMachine[m];
            total += w.Cost * p.PairPricePerHour[i] * p.PaidHours[i] / maxCost + w.Time * p.PairHours[i] / maxHours;
            load[m]++;
        }
        for (var m = 0; m < p.M; m++)
        {
            if (load[m] == 0) continue;
            if (p.InitiallyIdle[m]) total += w.Pack * (maxPack > 0 ? p.Profiles[p.ProfileOfMachine[m]].MachinePrice / maxPack : 1) + p.FixedCharge[p.ProfileOfMachine[m]];
            total += w.Spread * ((double)load[m] * (load[m] - 1) / 2);
        }
        return total;
    }
}
