using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>
/// What one task of a class asks of a machine's GPU devices, by <see cref="GpuShares"/>' rule: <see cref="Devices"/>
/// devices with <see cref="Thousandths"/> free each (a share of one device, or whole devices), of model
/// <see cref="Model"/> (-1: any). Fit and choice work on a machine's free thousandths per device, and choose as
/// <see cref="GpuShares.Choose"/> does: a share goes to the fullest device that holds it, whole devices are the first free ones.
/// </summary>
internal readonly record struct TaskGpu(int Devices, int Thousandths, int Model)
{
    public static readonly TaskGpu None = new(0, 0, -1);

    private bool IsShare => Devices == 1 && Thousandths < GpuShares.Whole;

    /// <summary>
    /// How many such tasks the devices hold. A machine that lists no devices (null) holds any number as far as devices
    /// go (its gpus are a plain scalar) unless a model is asked for, which it cannot show.
    /// </summary>
    public long Fit(int[]? free, int[]? models)
    {
        if (free is null) return Model == -1 ? long.MaxValue : 0;
        long fit = 0;
        for (var i = 0; i < free.Length; i++)
        {
            if (Model != -1 && models![i] != Model) continue;
            fit += IsShare ? free[i] / Thousandths : free[i] >= GpuShares.Whole ? 1 : 0;
        }
        return IsShare ? fit : fit / Devices;
    }

    /// <summary>Takes one task's part of the devices at <paramref name="positions"/> (chosen by an earlier <see cref="Take"/>).</summary>
    public void TakeAt(int[] free, int[] positions)
    {
        foreach (var i in positions) free[i] -= IsShare ? Thousandths : GpuShares.Whole;
    }

    /// <summary>Gives back what one task held on the devices at <paramref name="positions"/>.</summary>
    public void Give(int[] free, int[] positions)
    {
        foreach (var i in positions) free[i] += IsShare ? Thousandths : GpuShares.Whole;
    }

    /// <summary>A share of one device (not whole devices).</summary>
    public bool Shares => IsShare;

    /// <summary>Takes the devices one task uses from <paramref name="free"/>; their positions, or null when they do not fit (nothing is taken then).</summary>
    public int[]? Take(int[]? free, int[]? models)
    {
        if (free is null || Devices == 0) return null;
        if (IsShare)
        {
            var best = -1;
            for (var i = 0; i < free.Length; i++)
            {
                if ((Model == -1 || models![i] == Model) && free[i] >= Thousandths && (best < 0 || free[i] < free[best])) best = i;
            }
            if (best < 0) return null;
            free[best] -= Thousandths;
            return [best];
        }
        var chosen = new int[Devices];
        var found = 0;
        for (var i = 0; i < free.Length && found < Devices; i++)
        {
            if ((Model == -1 || models![i] == Model) && free[i] >= GpuShares.Whole) chosen[found++] = i;
        }
        if (found < Devices) return null;
        foreach (var i in chosen) free[i] = 0;
        return chosen;
    }
}
