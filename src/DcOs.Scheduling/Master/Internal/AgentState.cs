using DcOs.Core;
using DcOs.Transport;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>The master's record of one agent. Kept small: at 500,000 agents every field counts.</summary>
internal sealed class AgentState(AgentInfo info, int slot, DateTimeOffset registeredAt)
{
    private Dictionary<(FrameworkId, TaskId), TaskEntry>? _tasks;
    private List<OfferEntry>? _offers;

    public AgentInfo Info { get; set; } = info;

    public AgentId Id => Info.Id;

    public int Slot { get; set; } = slot;

    public AgentStatus Status { get; set; } = AgentStatus.Active;

    public IMessageConnection? Connection { get; set; }

    public int MissedPings { get; set; }

    public bool AwaitingPong { get; set; }

    public long PingSequence { get; set; }

    public string? IsolationWarning { get; set; }

    public DateTimeOffset RegisteredAt { get; } = registeredAt;

    public TimeSpan? DrainGracePeriod { get; set; }

    /// <summary>Outstanding offers of this agent's resources (changed only by <see cref="OfferBook"/>).</summary>
    public List<OfferEntry> Offers => _offers ??= [];

    /// <summary>Tasks on this agent that the master tracks, active and recently ended (changed only by <see cref="TaskTable"/>).</summary>
    public Dictionary<(FrameworkId, TaskId), TaskEntry> Tasks => _tasks ??= [];

    public bool HasTasks => _tasks is { Count: > 0 };

    public IEnumerable<TaskEntry> TaskList => _tasks?.Values ?? Enumerable.Empty<TaskEntry>();

    /// <summary>The free share of each of the agent's GPU devices: what the tasks holding resources here left (empty when it lists none).</summary>
    public GpuAvailability[] FreeGpus() =>
        Info.Gpus.Count == 0 ? [] : GpuShares.FreeOf(Info.Gpus, TaskList.Where(t => t.HoldsResources).Select(t => t.Spec));
}
