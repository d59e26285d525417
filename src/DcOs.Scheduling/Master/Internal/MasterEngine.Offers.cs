using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private void OnAllocationTick()
    {
        var now = Now;
        foreach (var offer in _offers.Values.Where(o => o.ExpiresAt is { } e && e <= now).ToList()) RescindOffer(offer, notify: true);
        CountMaintenance();
        _fullRoundDue = true;
    }

    /// <summary>Runs the round events asked for: over every agent when frameworks changed, else over the agents that changed.</summary>
    private ValueTask AllocateIfDueAsync()
    {
        if (_fullRoundDue)
        {
            _fullRoundDue = false;
            _dirtySlots.Clear();
            RunRound(null);
        }
        else if (_dirtySlots.Count > 0)
        {
            var slots = _dirtySlots.ToArray();
            _dirtySlots.Clear();
            RunRound(slots);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>One allocation round, turned into offers: one per agent, grouped into one message per framework.</summary>
    internal int RunRound(IReadOnlyCollection<int>? slots)
    {
        _decisions.Clear();
        var now = Now;
        _allocator.Round(now, _decisions, slots);
        if (_decisions.Count == 0) return 0;
        var expires = _options.OfferTimeout is { } timeout ? now + timeout : (DateTimeOffset?)null;
        Dictionary<FrameworkState, List<Offer>>? outgoing = null;
        foreach (var decision in _decisions)
        {
            var fw = _frameworksByHandle[decision.Framework]!;
            var agent = _agentsBySlot[decision.AgentSlot]!;
            var offer = new Offer
            {
                Id = new OfferId($"{_runId}-O{++_nextOffer}"),
                FrameworkId = fw.Id,
                AgentId = agent.Id,
                Hostname = agent.Info.Hostname,
                Resources = decision.Resources,
                Attributes = agent.Info.Attributes,
                Region = agent.Info.Region,
                Zone = agent.Info.Zone,
                Cost = agent.Info.Cost,
                AgentTotal = agent.Info.Resources,
            };
            var entry = new OfferEntry(offer, fw, agent, decision.Role, expires);
            _offers[offer.Id] = entry;
            fw.Offers[offer.Id] = entry;
            outgoing ??= [];
            if (!outgoing.TryGetValue(fw, out var list)) outgoing[fw] = list = [];
            list.Add(offer);
        }
        foreach (var (fw, offers) in outgoing!) Send(fw.Connection, new OffersMessage { Offers = offers });
        return _decisions.Count;
    }

    /// <summary>Withdraws an offer and returns its resources; the framework is told when <paramref name="notify"/>.</summary>
    private void RescindOffer(OfferEntry offer, bool notify)
    {
        if (!_offers.Remove(offer.Id)) return;
        offer.Framework.Offers.Remove(offer.Id);
        if (offer.Framework.Handle >= 0) _allocator.Recover(offer.Agent.Slot, offer.Framework.Handle, offer.Role, offer.Offer.Resources);
        else _allocator.Recover(offer.Agent.Slot, -1, offer.Role, offer.Offer.Resources);
        _dirtySlots.Add(offer.Agent.Slot);
        if (notify) Send(offer.Framework.Connection, new RescindOffer { OfferId = offer.Id });
    }

    /// <summary>Every outstanding offer declined with no filter (simulations and benchmarks).</summary>
    internal void DeclineAllOffers()
    {
        foreach (var offer in _offers.Values.ToList()) RescindOffer(offer, notify: false);
        _dirtySlots.Clear();
    }

    private void RescindOffers(AgentState agent, string reason)
    {
        _ = reason;
        foreach (var offer in _offers.Values.Where(o => ReferenceEquals(o.Agent, agent)).ToList()) RescindOffer(offer, notify: true);
    }

    /// <summary>Draining agents are not offered: frameworks with work to place learn that maintenance held resources back.</summary>
    private void CountMaintenance()
    {
        var draining = _agents.Values.Count(a => a.Status is AgentStatus.Draining or AgentStatus.Drained);
        if (draining == 0) return;
        foreach (var fw in _frameworks.Values)
        {
            if (fw.Connection is not null && fw.Handle >= 0 && !_allocator.IsSuppressed(fw.Handle)) fw.Rejections[(int)OfferRejectionReason.Maintenance] += draining;
        }
    }

    private void Decline(FrameworkState fw, List<OfferId> offerIds, double? refuseSeconds, Dictionary<int, long>? reasons)
    {
        var refuse = Filters.DefaultRefuse;
        if (refuseSeconds is { } seconds && double.IsFinite(seconds) && seconds >= 0) refuse = TimeSpan.FromSeconds(seconds);
        foreach (var id in offerIds)
        {
            if (!fw.Offers.TryGetValue(id, out var offer)) continue;
            RescindOffer(offer, notify: false);
            if (refuse > TimeSpan.Zero) _allocator.AddFilter(fw.Handle, offer.Agent.Slot, Now + refuse);
        }
        if (reasons is null) return;
        foreach (var (reason, count) in reasons)
        {
            if (reason >= 0 && reason < fw.Rejections.Length && count > 0) fw.Rejections[reason] += count;
        }
    }

    /// <summary>
    /// Accept with launches, validated as Mesos does. Offers: every id known, held by this framework, listed once, all on
    /// one agent; otherwise every task is TASK_LOST (TASK_DROPPED if partition-aware) with REASON_INVALID_OFFERS and
    /// the offers' resources go back to the pool. Then each task on its own: a valid spec, an id unused in the
    /// framework, resources within what the offers still hold, constraints satisfied on the agent; a task failing any
    /// of these is TASK_ERROR with the specific reason and is not launched. Valid tasks are recorded durably as
    /// STAGING before RunTask goes to the agent. What no task used is declined with the accept's filter.
    /// </summary>
    private async ValueTask AcceptAsync(FrameworkState fw, Accept accept)
    {
        var offers = new List<OfferEntry>();
        string? invalid = null;
        var seen = new HashSet<OfferId>();
        foreach (var id in accept.OfferIds)
        {
            if (!seen.Add(id)) invalid ??= $"offer {id} is listed more than once";
            else if (!fw.Offers.TryGetValue(id, out var offer)) invalid ??= $"offer {id} is unknown, rescinded or not held by this framework";
            else offers.Add(offer);
        }
        if (offers.Count == 0) invalid ??= "the accept names no offer";
        else if (offers.Select(o => o.Agent).Distinct().Count() > 1) invalid ??= "the offers are on more than one agent";
        if (invalid is not null)
        {
            foreach (var offer in offers) RescindOffer(offer, notify: false);
            var state = fw.PartitionAware ? TaskState.Dropped : TaskState.Lost;
            foreach (var task in accept.Launch)
            {
                if (task is null) continue;
                Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = Status(task.Id, state, TaskStatusReason.InvalidOffers, default, "invalid offers: " + invalid) });
            }
            return;
        }

        var agent = offers[0].Agent;
        var role = offers[0].Role;
        var remaining = Resources.Empty;
        foreach (var offer in offers)
        {
            remaining = remaining.Add(offer.Offer.Resources);
            _offers.Remove(offer.Id);
            fw.Offers.Remove(offer.Id);
        }
        var launchedIds = new HashSet<TaskId>();
        foreach (var spec in accept.Launch)
        {
            if (spec is null) continue;
            var error = ValidateLaunch(fw, agent, spec, remaining, launchedIds, out var reason);
            if (error is not null)
            {
                Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = Status(spec.Id, TaskState.Error, reason, agent.Id, error) });
                continue;
            }
            remaining = remaining.Subtract(spec.Resources);
            launchedIds.Add(spec.Id);
            var task = new TaskEntry(fw.Id, agent.Id, spec, Status(spec.Id, TaskState.Staging, TaskStatusReason.None, agent.Id, null), role);
            fw.Tasks[spec.Id] = task;
            agent.Tasks[(fw.Id, spec.Id)] = task;
            await _store.SaveTaskAsync(task.ToRecord()).ConfigureAwait(false);
            Send(agent.Connection, new RunTask { FrameworkId = fw.Id, Task = spec });
        }
        // Offered resources no task used go back to the pool, filtered for this framework like a decline.
        _allocator.Recover(agent.Slot, fw.Handle, role, remaining);
        _dirtySlots.Add(agent.Slot);
        var refuse = accept.RefuseSeconds is { } s && double.IsFinite(s) && s >= 0 ? TimeSpan.FromSeconds(s) : Filters.DefaultRefuse;
        if (!remaining.IsEmpty && refuse > TimeSpan.Zero) _allocator.AddFilter(fw.Handle, agent.Slot, Now + refuse);
    }

    private string? ValidateLaunch(FrameworkState fw, AgentState agent, TaskSpec spec, Resources remaining, HashSet<TaskId> launching, out TaskStatusReason reason)
    {
        reason = TaskStatusReason.TaskInvalid;
        try
        {
            spec.Validate();
        }
        catch (ValidationException e)
        {
            return e.Message;
        }
        if (launching.Contains(spec.Id) || (fw.Tasks.TryGetValue(spec.Id, out var existing) && !existing.State.IsTerminal()))
        {
            reason = TaskStatusReason.DuplicateTaskId;
            return $"task id {spec.Id} is already used in this framework";
        }
        if (!remaining.Contains(spec.Resources))
        {
            reason = TaskStatusReason.InsufficientResources;
            return $"the task needs {spec.Resources} but the offers hold only {remaining}";
        }
        if (spec.Constraints.Count > 0)
        {
            var group = TaskLabels.GroupOf(spec);
            var placed = fw.Tasks.Values
                .Where(t => !t.State.IsTerminal() && TaskLabels.GroupOf(t.Spec) == group && _agents.ContainsKey(t.AgentId))
                .Select(t => (IPlacementTarget)_agents[t.AgentId].Info)
                .ToList();
            foreach (var constraint in spec.Constraints)
            {
                if (!constraint.IsSatisfiedBy(agent.Info, placed))
                {
                    reason = TaskStatusReason.ConstraintViolated;
                    return $"constraint {constraint} is not satisfied on agent {agent.Id} ({agent.Info.Hostname})";
                }
            }
        }
        return null;
    }
}
