using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Framework;

/// <summary>
/// The framework-side helper: given the offers a scheduler holds and its pending tasks, decides which offers to
/// accept for which tasks (one accept per agent) and which to decline, using the optimizer's objective instead of
/// first-fit.
/// </summary>
public static class OfferPlanner
{
    /// <summary>
    /// Plans with <paramref name="optimizer"/>. <paramref name="groupPlacements"/> lists where each group's tasks
    /// already run, for UNIQUE, CLUSTER, GROUP_BY and MAX_PER; <paramref name="billing"/> is the cluster's
    /// (<see cref="IFrameworkDriver.Billing"/>).
    /// </summary>
    /// <exception cref="ValidationException">An offer or task is invalid; the field is named.</exception>
    public static OfferPlan Plan(
        IPlacementOptimizer optimizer,
        IReadOnlyList<Offer> offers,
        IReadOnlyList<PendingTask> tasks,
        PlacementObjective? objective = null,
        IReadOnlyDictionary<string, IReadOnlyList<IPlacementTarget>>? groupPlacements = null,
        CancellationToken cancellationToken = default,
        BillingMode billing = BillingMode.Machine)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (offers is null) throw new ValidationException("offers", "is required");
        if (tasks is null) throw new ValidationException("tasks", "is required");

        // Group offers by agent, keeping the order in which agents first appear so the result is deterministic.
        var byAgent = new Dictionary<AgentId, List<Offer>>();
        var agentIndex = new Dictionary<AgentId, int>();
        var agentOrder = new List<AgentId>();
        var seen = new HashSet<OfferId>();
        for (var i = 0; i < offers.Count; i++)
        {
            var offer = offers[i] ?? throw new ValidationException($"offers[{i}]", "is required");
            if (offer.Id.IsEmpty) throw new ValidationException($"offers[{i}].id", "must be set");
            if (!seen.Add(offer.Id)) throw new ValidationException($"offers[{i}].id", $"offer {offer.Id} is listed twice");
            if (offer.AgentId.IsEmpty) throw new ValidationException($"offers[{i}].agentId", "must be set");
            if (!byAgent.TryGetValue(offer.AgentId, out var list))
            {
                byAgent[offer.AgentId] = list = [];
                agentIndex[offer.AgentId] = agentOrder.Count;
                agentOrder.Add(offer.AgentId);
            }
            list.Add(offer);
        }
        var machines = new PlacementMachine[agentOrder.Count];
        for (var m = 0; m < machines.Length; m++)
        {
            try
            {
                machines[m] = PlacementMachine.FromOffers(byAgent[agentOrder[m]]);
            }
            catch (ValidationException e)
            {
                throw new ValidationException($"offers (agent {agentOrder[m]})" + e.Field["offers".Length..], e.Reason);
            }
        }

        var plan = optimizer.Solve(new PlacementProblem
        {
            Tasks = tasks,
            Machines = machines,
            Objective = objective ?? PlacementObjective.Cheapest,
            GroupPlacements = groupPlacements ?? new Dictionary<string, IReadOnlyList<IPlacementTarget>>(),
            Billing = billing,
        }, cancellationToken);

        var tasksOf = new List<TaskSpec>?[machines.Length];
        foreach (var a in plan.Assignments) (tasksOf[a.MachineIndex] ??= []).Add(a.OnPlannedDevices(tasks[a.TaskIndex].Spec));
        var accept = new List<OfferAcceptance>();
        var decline = new List<OfferId>();
        for (var m = 0; m < machines.Length; m++)
        {
            if (tasksOf[m] is { } launched)
                accept.Add(new OfferAcceptance { AgentId = machines[m].AgentId, OfferIds = machines[m].OfferIds, Tasks = launched });
        }
        foreach (var offer in offers)
        {
            if (tasksOf[agentIndex[offer.AgentId]] is null) decline.Add(offer.Id);
        }
        var reasons = new Dictionary<PlacementReason, long>();
        foreach (var u in plan.Unplaced)
        {
            reasons[u.Reason] = reasons.GetValueOrDefault(u.Reason) + 1;
        }
        return new OfferPlan { Accept = accept, Decline = decline, Unplaced = plan.Unplaced, DeclineReasons = reasons, Placement = plan };
    }
}
