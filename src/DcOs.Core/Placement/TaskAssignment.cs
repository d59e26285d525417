namespace DcOs.Core.Placement;

/// <summary>One task placed on one machine, with what it costs there and when it should finish.</summary>
public sealed record TaskAssignment
{
    /// <summary>The task's position in <see cref="PlacementProblem.Tasks"/> (or in the batch a framework handed the master).</summary>
    public required int TaskIndex { get; init; }

    /// <summary>The task's id.</summary>
    public required TaskId TaskId { get; init; }

    /// <summary>The machine's position in <see cref="PlacementProblem.Machines"/>; -1 in a master's answer to a batch (its machine list is its own).</summary>
    public required int MachineIndex { get; init; }

    /// <summary>The agent the task runs on.</summary>
    public required AgentId AgentId { get; init; }

    /// <summary>The offers of that agent the task would use (empty when the machine came from an agent, not offers).</summary>
    public required IReadOnlyList<OfferId> OfferIds { get; init; }

    /// <summary>
    /// The task's part of <see cref="PlanBill.Total"/>: its per-unit prices times its runtime plus its part of what the
    /// machine costs the plan (a machine switched on is split among the plan's tasks there by dominant share and
    /// runtime; room on a machine already running is free under machine billing).
    /// </summary>
    public required double Cost { get; init; }

    /// <summary>The task's part of <see cref="PlanBill.PerHour"/>; the assignments' parts add up to it.</summary>
    public required double ChargebackPerHour { get; init; }

    /// <summary>The GPU devices the task uses there (a share of one, or whole devices); empty when it asks for no GPU or the machine lists no devices.</summary>
    public IReadOnlyList<int> GpuDevices { get; init; } = [];

    /// <summary>
    /// <paramref name="spec"/> on the devices this assignment chose (<see cref="TaskSpec.GpuDevices"/>), to launch as
    /// planned; unchanged when it chose none. The master checks the devices again at launch.
    /// </summary>
    public TaskSpec OnPlannedDevices(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return GpuDevices.Count == 0 ? spec : spec with { GpuDevices = GpuDevices };
    }

    /// <summary>The task's runtime there: its reference duration divided by the machine's speed factor.</summary>
    public required TimeSpan Runtime { get; init; }

    /// <summary>When it should finish if started now.</summary>
    public required DateTimeOffset EstimatedFinish { get; init; }
}
