namespace DcOs.Core.Placement;

/// <summary>
/// How a cluster's machines are paid for: what <see cref="PlacementObjective.Cheapest"/> minimizes and what every
/// plan's <see cref="PlanBill"/> reports.
/// </summary>
public enum BillingMode
{
    /// <summary>
    /// A machine costs its price for every hour it runs anything, as in a cloud that can stop idle machines: a plan's
    /// bill is the price of every machine it switches on plus the per-unit prices of what its tasks use. Room left on a
    /// machine that already runs something is paid for already, so using it is free.
    /// </summary>
    Machine,

    /// <summary>
    /// A fixed cluster whose owners are charged for what they reserve: each task pays the machine's price times its
    /// dominant share of the machine, plus per-unit prices. A machine's tasks may together pay more than its price when
    /// they are bound by different resources (a cpu task and a GPU task each take most of one kind).
    /// </summary>
    Chargeback,
}
