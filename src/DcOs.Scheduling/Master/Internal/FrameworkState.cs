using DcOs.Core;
using DcOs.Transport;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>The master's record of one framework.</summary>
internal sealed class FrameworkState(FrameworkInfo info, int handle, DateTimeOffset registeredAt)
{
    public FrameworkInfo Info { get; set; } = info;

    public FrameworkId Id => Info.Id;

    /// <summary>The allocator's handle; -1 once removed.</summary>
    public int Handle { get; set; } = handle;

    public IMessageConnection? Connection { get; set; }

    public ITimer? FailoverTimer { get; set; }

    public DateTimeOffset RegisteredAt { get; } = registeredAt;

    public bool Removed { get; set; }

    /// <summary>Its tasks, active and recently ended (changed only by <see cref="TaskTable"/>).</summary>
    public Dictionary<TaskId, TaskEntry> Tasks { get; } = [];

    /// <summary>Offers it holds (changed only by <see cref="OfferBook"/>).</summary>
    public Dictionary<OfferId, OfferEntry> Offers { get; } = [];

    /// <summary>Terminal tasks in the order they ended, for pruning.</summary>
    public Queue<TaskId> Completed { get; } = new();

    public long[] Rejections { get; } = new long[Enum.GetValues<PlacementReason>().Length];

    public bool PartitionAware => Info.IsPartitionAware;

    public string PrimaryRole => Info.Roles[0];
}
