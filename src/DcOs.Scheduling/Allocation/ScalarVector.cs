using DcOs.Core;

namespace DcOs.Scheduling.Allocation;

/// <summary>
/// The four scalars DRF shares are computed over (cpus, mem, disk, gpus), in thousandths, as plain fields so that a
/// round over hundreds of thousands of agents does arithmetic on structs rather than on resource bags.
/// </summary>
internal struct ScalarVector
{
    public long Cpus;
    public long Mem;
    public long Disk;
    public long Gpus;

    public static ScalarVector Of(Resources resources) => new()
    {
        Cpus = resources.GetScalar(ResourceNames.Cpus).Milli,
        Mem = resources.GetScalar(ResourceNames.Mem).Milli,
        Disk = resources.GetScalar(ResourceNames.Disk).Milli,
        Gpus = resources.GetScalar(ResourceNames.Gpus).Milli,
    };

    public readonly bool IsZero => Cpus == 0 && Mem == 0 && Disk == 0 && Gpus == 0;

    public void Add(in ScalarVector other)
    {
        Cpus += other.Cpus;
        Mem += other.Mem;
        Disk += other.Disk;
        Gpus += other.Gpus;
    }

    public void Subtract(in ScalarVector other)
    {
        Cpus = Math.Max(0, Cpus - other.Cpus);
        Mem = Math.Max(0, Mem - other.Mem);
        Disk = Math.Max(0, Disk - other.Disk);
        Gpus = Math.Max(0, Gpus - other.Gpus);
    }

    /// <summary>The dominant share of this allocation against <paramref name="total"/>.</summary>
    public readonly double ShareOf(in ScalarVector total)
    {
        var share = 0.0;
        if (total.Cpus > 0) share = Math.Max(share, Cpus / (double)total.Cpus);
        if (total.Mem > 0) share = Math.Max(share, Mem / (double)total.Mem);
        if (total.Disk > 0) share = Math.Max(share, Disk / (double)total.Disk);
        if (total.Gpus > 0) share = Math.Max(share, Gpus / (double)total.Gpus);
        return share;
    }

    /// <summary>Whether every component is at most the other's.</summary>
    public readonly bool FitsIn(in ScalarVector other) =>
        Cpus <= other.Cpus && Mem <= other.Mem && Disk <= other.Disk && Gpus <= other.Gpus;
}
