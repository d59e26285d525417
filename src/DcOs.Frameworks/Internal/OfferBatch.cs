using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Framework;

namespace DcOs.Frameworks.Internal;

/// <summary>
/// One round of offers as the sample frameworks work through them: what is left of each offer, the tasks placed on it,
/// and why offers were of no use; then one accept per used offer and one decline (with the reasons) of the unused ones.
/// </summary>
internal sealed class OfferBatch(IReadOnlyList<Offer> offers, BillingMode billing = BillingMode.Machine)
{
    private readonly Dictionary<OfferId, List<TaskSpec>> _launches = offers.ToDictionary(o => o.Id, _ => new List<TaskSpec>());
    private readonly Dictionary<OfferId, Resources> _remaining = offers.ToDictionary(o => o.Id, o => o.Resources);
    private readonly Dictionary<OfferId, IReadOnlyList<GpuAvailability>> _gpus = offers.ToDictionary(o => o.Id, o => o.Gpus);

    public IReadOnlyList<Offer> Offers => offers;

    public Dictionary<PlacementReason, long> Reasons { get; } = [];

    public Resources Remaining(Offer offer) => _remaining[offer.Id];

    public void Launch(Offer offer, TaskSpec task)
    {
        _launches[offer.Id].Add(task);
        _remaining[offer.Id] = _remaining[offer.Id].Subtract(task.Resources);
        if (task.GpuDevices is not null) _gpus[offer.Id] = GpuShares.After(_gpus[offer.Id], task);
    }

    /// <summary>
    /// Plans <paramref name="tasks"/> with the SDK's planner (<see cref="OfferPlanner"/>) on what is left of every offer
    /// of the batch, so the objective chooses among all of them rather than the first that fits.
    /// </summary>
    public PlacementPlan Plan(
        IPlacementOptimizer optimizer, IReadOnlyList<PendingTask> tasks, PlacementObjective objective,
        IReadOnlyDictionary<string, IReadOnlyList<IPlacementTarget>>? groupPlacements = null)
    {
        var left = offers.Where(o => !_remaining[o.Id].IsEmpty).Select(o => o with { Resources = _remaining[o.Id], Gpus = _gpus[o.Id] }).ToList();
        return OfferPlanner.Plan(optimizer, left, tasks, objective, groupPlacements, billing: billing).Placement;
    }

    /// <summary>
    /// The items worth planning this round, in their order: each fits, by its resources alone, in what a first-fit
    /// pass over the items before it leaves of some offer. The others wait without costing the planner anything, told
    /// why through <paramref name="waits"/>: <see cref="PlacementReason.CapacityExhausted"/> when an offer could hold it
    /// but the items ahead of it took the room, else the resource no offer has enough of. A backlog of thousands then
    /// costs a plan over what the offers can hold, not over the whole backlog, every round.
    /// </summary>
    /// <remarks>
    /// First-fit only bounds the window: the planner still chooses where each item goes among every offer. Rooms only
    /// shrink during the pass, so a demand that missed once misses for the rest of it: items that share one demand
    /// (<paramref name="resources"/> returning the same instance, as for the runs of one job) are judged once.
    /// </remarks>
    public List<T> Window<T>(IEnumerable<T> items, Func<T, Resources> resources, Action<T, PlacementReason> waits)
    {
        var room = offers.Where(o => !_remaining[o.Id].IsEmpty).Select(o => _remaining[o.Id]).ToArray();
        var initial = room.ToArray();
        var missed = new Dictionary<Resources, PlacementReason>(ReferenceEqualityComparer.Instance);
        var window = new List<T>();
        foreach (var item in items)
        {
            var wanted = resources(item);
            if (!missed.TryGetValue(wanted, out var reason))
            {
                var fit = Array.FindIndex(room, r => r.Contains(wanted));
                if (fit >= 0)
                {
                    room[fit] = room[fit].Subtract(wanted);
                    window.Add(item);
                    continue;
                }
                missed[wanted] = reason = Array.Exists(initial, r => r.Contains(wanted)) ? PlacementReason.CapacityExhausted
                    : initial.Length == 0 ? PlacementReason.NoMachines
                    : OfferMatcher.ShortOf(wanted, initial.MaxBy(r => r.Cpus)!);
            }
            waits(item, reason);
        }
        return window;
    }

    /// <summary>The offer of <paramref name="assignment"/>'s agent that still holds <paramref name="resources"/>, or null.</summary>
    public Offer? OfferFor(TaskAssignment assignment, Resources resources)
    {
        foreach (var id in assignment.OfferIds)
        {
            if (_remaining.TryGetValue(id, out var left) && left.Contains(resources)) return offers.First(o => o.Id == id);
        }
        return null;
    }

    public void Reject(PlacementReason reason) => Reasons[reason] = Reasons.GetValueOrDefault(reason) + 1;

    /// <summary>
    /// Places each item on its own (<paramref name="place"/>: true while it still waits): one that throws is told why
    /// and counts as waiting, and the others go on, so one app or run that cannot be placed never stops the rest.
    /// True when any still waits.
    /// </summary>
    public bool PlaceEach<T>(IEnumerable<T> items, Func<T, bool> place, Action<T, string> cannotPlace)
    {
        var waiting = false;
        foreach (var item in items)
        {
            try
            {
                waiting |= place(item);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                cannotPlace(item, $"cannot be placed: {e.Message}");
                waiting = true;
            }
        }
        return waiting;
    }

    /// <summary>
    /// Accepts used offers (short filter, more may follow) and declines the rest in one message: briefly while work
    /// still waits, long otherwise. With nothing waiting and nothing launched, the framework then suppresses its offers
    /// until new work revives them, as Marathon does: an idle framework that declined every 30 s kept 10,000 agents'
    /// offers going round (two of them cost an idle master 6 % of a core).
    /// </summary>
    public async Task AnswerAsync(IFrameworkDriver driver, bool workWaiting)
    {
        var declined = new List<OfferId>();
        foreach (var offer in offers)
        {
            if (_launches[offer.Id].Count > 0) await driver.AcceptAsync([offer.Id], _launches[offer.Id], new Filters(1)).ConfigureAwait(false);
            else declined.Add(offer.Id);
        }
        if (declined.Count > 0) await driver.DeclineAsync(declined, new Filters(workWaiting ? 1 : 30), Reasons).ConfigureAwait(false);
        if (!workWaiting && declined.Count == offers.Count) await driver.SuppressAsync().ConfigureAwait(false);
    }
}
