using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;

namespace DcOs.Scheduling.Master.Internal;

internal sealed partial class MasterEngine
{
    private void OnAllocationTick()
    {
        foreach (var offer in _offers.Expired(Now)) RescindOffer(offer, notify: true);
        CountMaintenance();
        _fullRoundDue = true;
    }

    /// <summary>Runs the round events asked for: over every agent when frameworks changed, else over the agents that changed.</summary>
    private void AllocateIfDue()
    {
        if (_fullRoundDue)
        {
            _fullRoundDue = false;
            RunRound(null);
        }
        else if (_allocator.TakeDirtySlots() is { Length: > 0 } slots)
        {
            RunRound(slots);
        }
    }

    /// <summary>One allocation round, turned into offers: one per agent, sent per framework in bounded messages (timed for the metrics).</summary>
    private void RunRound(IReadOnlyCollection<int>? slots)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        _decisions.Clear();
        var now = Now;
        _allocator.Round(now, _decisions, slots);
        if (_decisions.Count > 0)
        {
            var expires = _options.OfferTimeout is { } timeout ? now + timeout : (DateTimeOffset?)null;
            foreach (var (fw, offers) in _offers.AddAll(_decisions, _agents, _frameworks, expires)) SendOffers(fw.Connection, offers);
        }
        _metrics.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started), full: slots is null);
    }

    /// <summary>Largest offers message sent, whatever the frame limit: a framework takes big rounds as several messages.</summary>
    private const int MaxOffersMessageBytes = 1024 * 1024;

    /// <summary>
    /// Sends a round's offers to one framework as messages of at most <see cref="MaxOffersMessageBytes"/> (and half the
    /// connection's frame limit), each offer measured as written: one message per round outgrew the frame at ~50,000
    /// agents, the connection closed, and the framework got no offers at all.
    /// </summary>
    private void SendOffers(IMessageConnection? connection, List<Offer> offers)
    {
        if (connection is null) return;
        var budget = Math.Min(MaxOffersMessageBytes, connection.MaxFrameSize / 2);
        var chunk = new List<Offer>();
        long bytes = 0;
        foreach (var offer in offers)
        {
            var size = DcOsSerializer.SizeOf(offer) + 8;
            if (chunk.Count > 0 && bytes + size > budget)
            {
                Send(connection, new OffersMessage { Offers = chunk });
                chunk = [];
                bytes = 0;
            }
            chunk.Add(offer);
            bytes += size;
        }
        if (chunk.Count > 0) Send(connection, new OffersMessage { Offers = chunk });
    }

    /// <summary>Withdraws an offer and returns its resources; the framework is told when <paramref name="notify"/>.</summary>
    private void RescindOffer(OfferEntry offer, bool notify)
    {
        if (_offers.Recover(offer) && notify) Send(offer.Framework.Connection, new RescindOffer { OfferId = offer.Id });
    }

    /// <summary>Rescinds every offer of the agent's resources, telling the frameworks that held them.</summary>
    private void RescindOffers(AgentState agent)
    {
        foreach (var offer in agent.Offers.ToList()) RescindOffer(offer, notify: true);
    }

    /// <summary>How long a decline (or an accept's unused rest) keeps the agent from the framework: Mesos' 5 s unless it says otherwise.</summary>
    private static TimeSpan RefuseDuration(double? seconds) =>
        seconds is { } s && double.IsFinite(s) && s >= 0 ? TimeSpan.FromSeconds(s) : Filters.DefaultRefuse;

    /// <summary>Draining agents are not offered: frameworks with work to place learn that maintenance held resources back.</summary>
    private void CountMaintenance()
    {
        var draining = _agents.All.Count(a => a.Status is AgentStatus.Draining or AgentStatus.Drained);
        if (draining == 0) return;
        foreach (var fw in _frameworks.All)
        {
            if (fw.Connection is not null && fw.Handle >= 0 && !_allocator.IsSuppressed(fw.Handle)) fw.Rejections[(int)PlacementReason.Maintenance] += draining;
        }
    }

    private void Decline(FrameworkState fw, List<OfferId> offerIds, TimeSpan refuse, Dictionary<int, long>? reasons)
    {
        foreach (var id in offerIds)
        {
            if (!fw.Offers.TryGetValue(id, out var offer)) continue;
            _offers.Recover(offer);
            if (refuse > TimeSpan.Zero) _allocator.AddFilter(fw.Handle, offer.Agent.Slot, Now + refuse, offer.Offer.Resources);
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
    private void Accept(FrameworkState fw, Accept accept)
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
            foreach (var offer in offers) _offers.Recover(offer);
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
            _offers.Take(offer);
        }
        var launchedIds = new HashSet<TaskId>();
        GpuAvailability[]? gpus = null;
        foreach (var requested in accept.Launch)
        {
            if (requested is null) continue;
            var spec = requested;
            var error = ValidateLaunch(fw, agent, spec, remaining, launchedIds, out var reason) ?? AssignGpus(agent, ref spec, ref gpus, out reason);
            if (error is not null)
            {
                Send(fw.Connection, new StatusUpdate { FrameworkId = fw.Id, Status = Status(spec.Id, TaskState.Error, reason, agent.Id, error) });
                continue;
            }
            remaining = remaining.Subtract(spec.Resources);
            launchedIds.Add(spec.Id);
            _tasks.Add(fw, agent, spec, Status(spec.Id, TaskState.Staging, TaskStatusReason.None, agent.Id, null), role, charge: false);
            Send(agent.Connection, new RunTask { FrameworkId = fw.Id, Task = spec });
        }
        // Offered resources no task used go back to the pool, filtered for this framework like a decline: what is left
        // is not offered to it again before the filter ends, but more (a task ending there) is, at once.
        _allocator.Recover(agent.Slot, fw.Handle, role, remaining);
        var refuse = RefuseDuration(accept.RefuseSeconds);
        if (!remaining.IsEmpty && refuse > TimeSpan.Zero) _allocator.AddFilter(fw.Handle, agent.Slot, Now + refuse, remaining);
    }

    /// <summary>
    /// The checks every launch passes, from offers or in a batch: a valid spec, and an id that is neither active in the
    /// framework nor used earlier in the same request (<paramref name="requested"/>). Null when it passes.
    /// </summary>
    private static string? ValidateTask(FrameworkState fw, TaskSpec spec, HashSet<TaskId> requested, out TaskStatusReason reason)
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
        if (requested.Contains(spec.Id) || (fw.Tasks.TryGetValue(spec.Id, out var existing) && !existing.State.IsTerminal()))
        {
            reason = TaskStatusReason.DuplicateTaskId;
            return $"task id {spec.Id} is already used in this framework";
        }
        return null;
    }

    /// <summary><see cref="ValidateTask"/>, then what a launch from offers adds: the resources are in the offers and the constraints hold on the agent.</summary>
    private string? ValidateLaunch(FrameworkState fw, AgentState agent, TaskSpec spec, Resources remaining, HashSet<TaskId> launching, out TaskStatusReason reason)
    {
        if (ValidateTask(fw, spec, launching, out reason) is { } invalid) return invalid;
        if (!remaining.Contains(spec.Resources))
        {
            reason = TaskStatusReason.InsufficientResources;
            return $"the task needs {spec.Resources} but the offers hold only {remaining}";
        }
        if (spec.Constraints.Count > 0)
        {
            var placed = _tasks.PlacementsOf(fw, TaskLabels.GroupOf(spec));
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
