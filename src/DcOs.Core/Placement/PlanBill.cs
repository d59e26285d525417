namespace DcOs.Core.Placement;

/// <summary>
/// What a plan costs as the machines bill it (<see cref="PlacementProblem.Billing"/>), computed from the machines'
/// <see cref="CostModel"/>s and the tasks' resources, not from the objective the solver minimized.
/// </summary>
public sealed record PlanBill
{
    /// <summary>How the machines are paid for.</summary>
    public required BillingMode Mode { get; init; }

    /// <summary>
    /// What running the plan's tasks adds to the bill per hour: under <see cref="BillingMode.Machine"/> the price of
    /// every idle machine it switches on plus the per-unit prices of what its tasks use; under
    /// <see cref="BillingMode.Chargeback"/> what its tasks are charged. The sum of the assignments'
    /// <see cref="TaskAssignment.ChargebackPerHour"/>.
    /// </summary>
    public required double PerHour { get; init; }

    /// <summary>
    /// What the plan adds to the bill until its last task ends (durations at each machine's speed): a machine it switches
    /// on is paid until the last of its tasks there ends. The sum of the assignments' <see cref="TaskAssignment.Cost"/>.
    /// </summary>
    public required double Total { get; init; }

    /// <summary>The idle machines the plan switches on (under <see cref="BillingMode.Machine"/> they start to be paid for).</summary>
    public required IReadOnlyList<AgentId> MachinesSwitchedOn { get; init; }

    /// <summary>
    /// The idle machines the plan leaves running nothing: what can be switched off (or stay off) with this plan, and,
    /// under <see cref="BillingMode.Machine"/>, stop being paid for.
    /// </summary>
    public IReadOnlyList<AgentId> MachinesLeftIdle { get; init; } = [];

    /// <summary>
    /// A proven lower bound on <see cref="PerHour"/> for placing the same tasks: the cheapest per-unit price of each
    /// task plus, per resource, the cheapest fractional cover of the demand that does not fit on machines already
    /// running by idle machines (machine billing), or each task's cheapest charge (chargeback).
    /// </summary>
    public required double LowerBoundPerHour { get; init; }

    /// <summary>(<see cref="PerHour"/> - <see cref="LowerBoundPerHour"/>) / <see cref="PerHour"/>, in percent; 0 when nothing is billed.</summary>
    public double GapPercent => PerHour <= 0 ? 0 : Math.Max(0, (PerHour - LowerBoundPerHour) / PerHour * 100);
}
