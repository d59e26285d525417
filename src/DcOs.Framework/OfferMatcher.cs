using DcOs.Core;

namespace DcOs.Framework;

/// <summary>
/// Decides whether a task can use (what is left of) an offer, and if not, the precise reason, so a scheduler can both
/// place tasks and tell the master why offers were of no use ("why is my task pending?").
/// </summary>
public static class OfferMatcher
{
    /// <summary>
    /// Null when <paramref name="task"/> fits in <paramref name="available"/> on the offer's agent and its constraints
    /// hold given <paramref name="placed"/> (the machines the task's group already runs on); otherwise the first reason.
    /// </summary>
    public static PlacementReason? Check(TaskSpec task, Offer offer, Resources available, IReadOnlyList<IPlacementTarget> placed)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentNullException.ThrowIfNull(available);
        ArgumentNullException.ThrowIfNull(placed);
        if (!available.Contains(task.Resources)) return ShortOf(task.Resources, available);
        foreach (var constraint in task.Constraints)
        {
            if (!constraint.IsSatisfiedBy(offer, placed)) return PlacementReason.Constraint;
        }
        return null;
    }

    /// <summary>Which resource is short, checking cpus, mem, disk, gpus, ports, then the rest.</summary>
    public static PlacementReason ShortOf(Resources wanted, Resources available)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(available);
        if (wanted.GetScalar(ResourceNames.Cpus) > available.GetScalar(ResourceNames.Cpus)) return PlacementReason.InsufficientCpus;
        if (wanted.GetScalar(ResourceNames.Mem) > available.GetScalar(ResourceNames.Mem)) return PlacementReason.InsufficientMem;
        if (wanted.GetScalar(ResourceNames.Disk) > available.GetScalar(ResourceNames.Disk)) return PlacementReason.InsufficientDisk;
        if (wanted.GetScalar(ResourceNames.Gpus) > available.GetScalar(ResourceNames.Gpus)) return PlacementReason.InsufficientGpus;
        if (!available.GetRanges(ResourceNames.Ports).Contains(wanted.GetRanges(ResourceNames.Ports))) return PlacementReason.InsufficientPorts;
        // Enough in total but reserved for another role, or another resource is short.
        return wanted.Flatten().FitsIn(available.Flatten()) ? PlacementReason.Role : PlacementReason.InsufficientOther;
    }

    /// <summary>
    /// Takes <paramref name="count"/> ports from what is left of an offer, for a task that asks for ports by number
    /// rather than by value; null when the offer has fewer.
    /// </summary>
    public static RangeSet? TakePorts(Resources available, int count)
    {
        ArgumentNullException.ThrowIfNull(available);
        if (count <= 0) return RangeSet.Empty;
        return available.GetRanges(ResourceNames.Ports).Take((ulong)count);
    }
}
