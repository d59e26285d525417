using DcOs.Core;

namespace DcOs.Scheduling.Allocation;

/// <summary>
/// Hierarchical weighted DRF, as Mesos' HierarchicalDRFAllocator: each round walks the agents, and gives an agent's free
/// resources to the role with the lowest weighted dominant share, and within it to the framework with the lowest
/// share that is not suppressed, has no decline filter on the agent, and may use the agent (GPU agents only go to
/// frameworks with the GPU capability). Quota guarantees are served first and held back from other roles while unmet;
/// quota limits cap what a role is offered.
/// Data is laid out for the round: arrays indexed by agent slot, sorters keyed by small integers.
/// Not thread-safe: the master calls it from its single event loop.
/// </summary>
internal sealed class HierarchicalAllocator
{
    private static readonly ScalarVector MinAllocatableCpus = new() { Cpus = 10 };
    private static readonly ScalarVector MinAllocatableMem = new() { Mem = 32_000 };

    private readonly DrfSorter _roleSorter = new();
    private readonly Dictionary<string, Role> _roles = new(StringComparer.Ordinal);
    private readonly List<Role?> _rolesByHandle = [];
    private readonly List<Fw?> _frameworks = [];
    private readonly HashSet<int> _dirty = [];
    private readonly Stack<int> _freeFrameworkHandles = new();
    private readonly Dictionary<string, double> _weights;
    private readonly Dictionary<string, RoleQuota> _quotas;

    private Resources[] _total = new Resources[16];
    private Resources[] _allocated = new Resources[16];
    private Resources[] _free = new Resources[16];
    private ScalarVector[] _freeVector = new ScalarVector[16];
    private ScalarVector[] _totalVector = new ScalarVector[16];
    private AgentFlags[] _flags = new AgentFlags[16];
    private readonly Stack<int> _freeSlots = new();
    private int _slotCount;
    private ScalarVector _clusterTotal;
    private bool _totalChanged;

    public HierarchicalAllocator(IReadOnlyDictionary<string, double>? roleWeights = null, IReadOnlyDictionary<string, RoleQuota>? quotas = null)
    {
        _weights = new Dictionary<string, double>(roleWeights ?? new Dictionary<string, double>(), StringComparer.Ordinal);
        _quotas = new Dictionary<string, RoleQuota>(quotas ?? new Dictionary<string, RoleQuota>(), StringComparer.Ordinal);
        foreach (var role in _quotas.Keys) GetRole(role);
    }

    /// <summary>Called for every framework passed over for a reason worth telling it (GPU capability, role quota).</summary>
    public Action<int, PlacementReason>? OnRejected { get; set; }

    public int AgentCount => _slotCount - _freeSlots.Count;

    public ScalarVector ClusterTotal => _clusterTotal;

    // ---- agents ----

    public int AddAgent(Resources total)
    {
        ArgumentNullException.ThrowIfNull(total);
        int slot;
        if (!_freeSlots.TryPop(out slot))
        {
            slot = _slotCount++;
            if (slot == _total.Length) Grow();
        }
        _total[slot] = total;
        _allocated[slot] = Resources.Empty;
        _free[slot] = total;
        _totalVector[slot] = ScalarVector.Of(total);
        _freeVector[slot] = _totalVector[slot];
        var flags = AgentFlags.InUse | AgentFlags.Usable;
        if (!_totalVector[slot].Gpus.Equals(0)) flags |= AgentFlags.HasGpus;
        if (total.Any(r => r.Role != ResourceNames.AnyRole)) flags |= AgentFlags.HasReservations;
        _flags[slot] = flags;
        _clusterTotal.Add(_totalVector[slot]);
        _totalChanged = true;
        _dirty.Add(slot);
        return slot;
    }

    /// <summary>Removes an agent; the caller has recovered every allocation on it first.</summary>
    public void RemoveAgent(int slot)
    {
        if ((_flags[slot] & AgentFlags.Usable) != 0) _clusterTotal.Subtract(_totalVector[slot]);
        _flags[slot] = AgentFlags.None;
        _total[slot] = _allocated[slot] = _free[slot] = Resources.Empty;
        _totalVector[slot] = _freeVector[slot] = default;
        _freeSlots.Push(slot);
        _dirty.Remove(slot);
        _totalChanged = true;
    }

    /// <summary>An unusable agent (unreachable, draining) is not offered and does not count in the cluster total.</summary>
    public void SetAgentUsable(int slot, bool usable)
    {
        var was = (_flags[slot] & AgentFlags.Usable) != 0;
        if (was == usable) return;
        if (usable)
        {
            _flags[slot] |= AgentFlags.Usable;
            _clusterTotal.Add(_totalVector[slot]);
            _dirty.Add(slot);
        }
        else
        {
            _flags[slot] &= ~AgentFlags.Usable;
            _clusterTotal.Subtract(_totalVector[slot]);
        }
        _totalChanged = true;
    }

    public bool IsUsable(int slot) => (_flags[slot] & AgentFlags.Usable) != 0;

    /// <summary>Asks for <paramref name="slot"/> in the next round over changed agents (its free resources or its usability changed).</summary>
    public void MarkDirty(int slot) => _dirty.Add(slot);

    /// <summary>The agents whose free resources changed since the last call (or the last full round), then forgets them.</summary>
    public int[] TakeDirtySlots()
    {
        if (_dirty.Count == 0) return [];
        var slots = _dirty.ToArray();
        _dirty.Clear();
        return slots;
    }

    public Resources Total(int slot) => _total[slot];

    public Resources Free(int slot) => _free[slot];

    public Resources Allocated(int slot) => _allocated[slot];

    // ---- frameworks ----

    public int AddFramework(string name, IReadOnlyList<string> roles, bool gpuCapable)
    {
        var fw = new Fw { Roles = [.. roles], Handles = new int[roles.Count], Gpu = gpuCapable };
        for (var i = 0; i < roles.Count; i++)
        {
            var role = GetRole(roles[i]);
            fw.Handles[i] = role.Frameworks.Add(name);
            role.FrameworkCount++;
            role.Frameworks.SetTotal(_clusterTotal);
        }
        int handle;
        if (_freeFrameworkHandles.TryPop(out handle)) _frameworks[handle] = fw;
        else
        {
            handle = _frameworks.Count;
            _frameworks.Add(fw);
        }
        for (var i = 0; i < roles.Count; i++) _roles[roles[i]].Members[fw.Handles[i]] = handle;
        return handle;
    }

    /// <summary>Removes a framework; the caller has recovered its allocations first.</summary>
    public void RemoveFramework(int handle)
    {
        var fw = Framework(handle);
        for (var i = 0; i < fw.Roles.Length; i++)
        {
            var role = _roles[fw.Roles[i]];
            role.Frameworks.Remove(fw.Handles[i]);
            role.Members.Remove(fw.Handles[i]);
            role.FrameworkCount--;
        }
        _frameworks[handle] = null;
        _freeFrameworkHandles.Push(handle);
    }

    /// <summary>A disconnected framework keeps its allocation but is not offered anything.</summary>
    public void SetFrameworkActive(int handle, bool active)
    {
        var fw = Framework(handle);
        for (var i = 0; i < fw.Roles.Length; i++) _roles[fw.Roles[i]].Frameworks.SetActive(fw.Handles[i], active);
    }

    public void Suppress(int handle, IReadOnlyCollection<string> roles)
    {
        var fw = Framework(handle);
        foreach (var role in roles.Count == 0 ? fw.Roles : roles)
        {
            if (fw.Roles.Contains(role)) (fw.Suppressed ??= new HashSet<string>(StringComparer.Ordinal)).Add(role);
        }
    }

    /// <summary>Lifts suppression and every decline filter of the framework (for the roles, or all).</summary>
    public void Revive(int handle, IReadOnlyCollection<string> roles)
    {
        var fw = Framework(handle);
        if (roles.Count == 0) fw.Suppressed = null;
        else foreach (var role in roles) fw.Suppressed?.Remove(role);
        fw.Filters = null;
    }

    public bool IsSuppressed(int handle) => Framework(handle) is { Suppressed: { Count: > 0 } s } fw && s.Count == fw.Roles.Length;

    /// <summary>
    /// Do not offer <paramref name="refused"/> (or less) on <paramref name="slot"/> to the framework before
    /// <paramref name="until"/>, as Mesos' refuse filters do: what it declined, or left unused in an accept, is not
    /// offered to it again, but once more is free there (a task ended) the agent is offered at once. Null
    /// <paramref name="refused"/>: the whole agent, whatever is free.
    /// </summary>
    public void AddFilter(int handle, int slot, DateTimeOffset until, Resources? refused = null) =>
        (Framework(handle).Filters ??= [])[slot] = new Filter(until, refused is null ? null : ScalarVector.Of(refused));

    // ---- allocations ----

    /// <summary>Records resources as held by a framework without a round (tasks reported by a returning agent).</summary>
    public void AddAllocation(int slot, int framework, string role, Resources resources)
    {
        if (resources.IsEmpty) return;
        _allocated[slot] = _allocated[slot].Add(resources);
        _free[slot] = _total[slot].Subtract(_allocated[slot]);
        _freeVector[slot] = ScalarVector.Of(_free[slot]);
        Charge(framework, role, ScalarVector.Of(resources), countAllocation: false);
    }

    /// <summary>
    /// Gives resources back to the agent's free pool (declined, unused, or freed by a finished task) and marks the
    /// agent for the next round. A framework handle that is negative or removed charges no one.
    /// </summary>
    public void Recover(int slot, int framework, string role, Resources resources)
    {
        if (resources.IsEmpty) return;
        if ((_flags[slot] & AgentFlags.InUse) != 0)
        {
            _allocated[slot] = _allocated[slot].Subtract(resources);
            _free[slot] = _allocated[slot].IsEmpty ? _total[slot] : _total[slot].Subtract(_allocated[slot]);
            _freeVector[slot] = ScalarVector.Of(_free[slot]);
            _dirty.Add(slot);
        }
        if (framework < 0 || framework >= _frameworks.Count || _frameworks[framework] is not { } fw) return;
        var index = Array.IndexOf(fw.Roles, role);
        if (index < 0) return;
        var amount = ScalarVector.Of(resources);
        var r = _roles[role];
        r.Frameworks.Unallocated(fw.Handles[index], amount);
        _roleSorter.Unallocated(r.Handle, amount);
        r.Allocated.Subtract(amount);
    }

    /// <summary>The share of a framework in a role, and of the role, for display.</summary>
    public (double RoleShare, double FrameworkShare) Shares(int framework, string role)
    {
        RefreshTotals();
        var fw = Framework(framework);
        var index = Array.IndexOf(fw.Roles, role);
        var r = _roles[role];
        return (_roleSorter.Share(r.Handle), index < 0 ? 0 : r.Frameworks.Share(fw.Handles[index]));
    }

    internal DrfSorter RoleSorter => _roleSorter;

    /// <summary>
    /// One allocation round over every agent (or only <paramref name="onlySlots"/>), appending decisions. Decisions are
    /// applied at once: the resources count as allocated until recovered. A full round forgets the dirty agents.
    /// </summary>
    public void Round(DateTimeOffset now, List<AllocationDecision> decisions, IReadOnlyCollection<int>? onlySlots = null)
    {
        if (onlySlots is null) _dirty.Clear();
        RefreshTotals();
        var guarantees = UnmetGuarantees(out var headroom);
        var available = guarantees ? UnallocatedTotal() : default;
        if (onlySlots is null)
        {
            for (var slot = 0; slot < _slotCount; slot++) AllocateAgent(slot, now, decisions, guarantees, ref headroom, ref available);
        }
        else
        {
            foreach (var slot in onlySlots) AllocateAgent(slot, now, decisions, guarantees, ref headroom, ref available);
        }
    }

    private void AllocateAgent(int slot, DateTimeOffset now, List<AllocationDecision> decisions, bool guarantees, ref ScalarVector headroom, ref ScalarVector available)
    {
        var flags = _flags[slot];
        if ((flags & (AgentFlags.InUse | AgentFlags.Usable)) != (AgentFlags.InUse | AgentFlags.Usable)) return;
        ref var freeVector = ref _freeVector[slot];
        if (!IsAllocatable(freeVector) && (flags & AgentFlags.HasReservations) == 0 && !HasNonScalars(slot)) return;
        var free = _free[slot];
        if (free.IsEmpty) return;

        // Two passes when quota guarantees are unmet: first the roles that are owed resources, then everyone else
        // under the rule that what remains unallocated must still cover what is owed.
        for (var pass = guarantees ? 0 : 1; pass < 2; pass++)
        {
            foreach (var roleHandle in _roleSorter.Order())
            {
                var role = _rolesByHandle[roleHandle]!;
                if (role.FrameworkCount == 0) continue;
                var owed = role.Quota is { } q && !q.Guarantee.IsEmpty && !ScalarVector.Of(q.Guarantee).FitsIn(role.Allocated);
                if (pass == 0 && !owed) continue;
                var offer = (flags & AgentFlags.HasReservations) != 0 ? free.AllocatableTo(role.Name) : free;
                if (offer.IsEmpty) continue;
                if (role.Quota?.Limit is { } limit)
                {
                    offer = ClampToLimit(offer, ScalarVector.Of(limit), role.Allocated);
                    if (offer.IsEmpty || !IsAllocatable(ScalarVector.Of(offer)))
                    {
                        RejectAll(role, PlacementReason.Role);
                        continue;
                    }
                }
                var amount = ReferenceEquals(offer, free) ? freeVector : ScalarVector.Of(offer);
                if (pass == 1 && guarantees && !owed && !LeavesHeadroom(available, amount, headroom)) continue;
                var chosen = ChooseFramework(role, slot, now, (flags & AgentFlags.HasGpus) != 0, amount);
                if (chosen < 0) continue;

                Apply(slot, offer, amount);
                Charge(chosen, role.Name, amount, countAllocation: true);
                if (guarantees)
                {
                    available.Subtract(amount);
                    if (owed) headroom.Subtract(amount);
                }
                decisions.Add(new AllocationDecision(slot, chosen, role.Name, offer));
                return;
            }
        }
    }

    private int ChooseFramework(Role role, int slot, DateTimeOffset now, bool agentHasGpus, in ScalarVector offered)
    {
        foreach (var handle in role.Frameworks.Order())
        {
            var framework = role.Members[handle];
            var fw = Framework(framework);
            if (fw.Suppressed?.Contains(role.Name) == true) continue;
            if (fw.Filters is { } filters && filters.TryGetValue(slot, out var filter))
            {
                if (now >= filter.Until) filters.Remove(slot);
                else if (filter.Refused is not { } refused || Within(offered, refused)) continue;
            }
            if (agentHasGpus && !fw.Gpu)
            {
                OnRejected?.Invoke(framework, PlacementReason.GpuCapability);
                continue;
            }
            return framework;
        }
        return -1;
    }

    private void RejectAll(Role role, PlacementReason reason)
    {
        if (OnRejected is null) return;
        foreach (var handle in role.Frameworks.Order()) OnRejected(role.Members[handle], reason);
    }

    private void Apply(int slot, Resources offer, in ScalarVector amount)
    {
        if (ReferenceEquals(offer, _free[slot]))
        {
            // Fast path, the common case: the whole free remainder is offered.
            _allocated[slot] = _total[slot];
            _free[slot] = Resources.Empty;
            _freeVector[slot] = default;
            return;
        }
        _allocated[slot] = _allocated[slot].Add(offer);
        _free[slot] = _total[slot].Subtract(_allocated[slot]);
        _freeVector[slot].Subtract(amount);
    }

    private void Charge(int framework, string roleName, in ScalarVector amount, bool countAllocation)
    {
        var fw = Framework(framework);
        var index = Array.IndexOf(fw.Roles, roleName);
        var role = _roles[roleName];
        if (index >= 0) role.Frameworks.Allocated(fw.Handles[index], amount, countAllocation);
        _roleSorter.Allocated(role.Handle, amount, countAllocation);
        role.Allocated.Add(amount);
    }

    /// <summary>Whether <paramref name="offered"/> is no more than <paramref name="refused"/> in every scalar.</summary>
    private static bool Within(in ScalarVector offered, in ScalarVector refused) =>
        offered.Cpus <= refused.Cpus && offered.Mem <= refused.Mem && offered.Disk <= refused.Disk && offered.Gpus <= refused.Gpus;

    private static bool IsAllocatable(in ScalarVector free) =>
        free.Cpus >= MinAllocatableCpus.Cpus || free.Mem >= MinAllocatableMem.Mem;

    private bool HasNonScalars(int slot) => _free[slot].Any(r => r.Kind != ResourceKind.Scalar);

    private static bool LeavesHeadroom(in ScalarVector available, in ScalarVector amount, in ScalarVector headroom)
    {
        var left = available;
        left.Subtract(amount);
        return (headroom.Cpus == 0 || left.Cpus >= headroom.Cpus) && (headroom.Mem == 0 || left.Mem >= headroom.Mem)
            && (headroom.Disk == 0 || left.Disk >= headroom.Disk) && (headroom.Gpus == 0 || left.Gpus >= headroom.Gpus);
    }

    private static Resources ClampToLimit(Resources offer, in ScalarVector limit, in ScalarVector allocated)
    {
        var room = new ScalarVector
        {
            Cpus = limit.Cpus == 0 ? long.MaxValue : Math.Max(0, limit.Cpus - allocated.Cpus),
            Mem = limit.Mem == 0 ? long.MaxValue : Math.Max(0, limit.Mem - allocated.Mem),
            Disk = limit.Disk == 0 ? long.MaxValue : Math.Max(0, limit.Disk - allocated.Disk),
            Gpus = limit.Gpus == 0 ? long.MaxValue : Math.Max(0, limit.Gpus - allocated.Gpus),
        };
        var kept = new List<Resource>(offer.Count);
        foreach (var r in offer)
        {
            if (r.Kind != ResourceKind.Scalar)
            {
                kept.Add(r);
                continue;
            }
            var max = r.Name switch
            {
                ResourceNames.Cpus => room.Cpus,
                ResourceNames.Mem => room.Mem,
                ResourceNames.Disk => room.Disk,
                ResourceNames.Gpus => room.Gpus,
                _ => long.MaxValue,
            };
            var milli = Math.Min(r.Scalar.Milli, max);
            if (milli > 0) kept.Add(Resource.OfScalar(r.Name, Scalar.FromMilli(milli), r.Role, r.Reservation));
        }
        return kept.Any(r => r.Kind == ResourceKind.Scalar) ? Resources.Of(kept) : Resources.Empty;
    }

    private bool UnmetGuarantees(out ScalarVector headroom)
    {
        headroom = default;
        var any = false;
        foreach (var role in _roles.Values)
        {
            if (role.Quota is not { } q || q.Guarantee.IsEmpty || role.FrameworkCount == 0) continue;
            var owed = ScalarVector.Of(q.Guarantee);
            owed.Subtract(role.Allocated);
            if (owed.IsZero) continue;
            headroom.Add(owed);
            any = true;
        }
        return any;
    }

    private ScalarVector UnallocatedTotal()
    {
        var sum = default(ScalarVector);
        for (var slot = 0; slot < _slotCount; slot++)
        {
            if ((_flags[slot] & (AgentFlags.InUse | AgentFlags.Usable)) == (AgentFlags.InUse | AgentFlags.Usable)) sum.Add(_freeVector[slot]);
        }
        return sum;
    }

    private void RefreshTotals()
    {
        if (!_totalChanged) return;
        _totalChanged = false;
        _roleSorter.SetTotal(_clusterTotal);
        foreach (var role in _roles.Values) role.Frameworks.SetTotal(_clusterTotal);
    }

    private Role GetRole(string name)
    {
        if (_roles.TryGetValue(name, out var role)) return role;
        role = new Role
        {
            Name = name,
            Handle = _roleSorter.Add(name, _weights.GetValueOrDefault(name, 1.0)),
            Quota = _quotas.GetValueOrDefault(name),
        };
        role.Frameworks.SetTotal(_clusterTotal);
        _roles[name] = role;
        while (_rolesByHandle.Count <= role.Handle) _rolesByHandle.Add(null);
        _rolesByHandle[role.Handle] = role;
        _totalChanged = true;
        return role;
    }

    private void Grow()
    {
        var size = _total.Length * 2;
        Array.Resize(ref _total, size);
        Array.Resize(ref _allocated, size);
        Array.Resize(ref _free, size);
        Array.Resize(ref _freeVector, size);
        Array.Resize(ref _totalVector, size);
        Array.Resize(ref _flags, size);
    }

    [Flags]
    private enum AgentFlags : byte
    {
        None = 0,
        InUse = 1,
        Usable = 2,
        HasGpus = 4,
        HasReservations = 8,
    }

    private sealed class Role
    {
        public required string Name;
        public int Handle;
        public readonly DrfSorter Frameworks = new();
        public readonly Dictionary<int, int> Members = [];
        public ScalarVector Allocated;
        public RoleQuota? Quota;
        public int FrameworkCount;
    }

    private Fw Framework(int handle) => _frameworks[handle] ?? throw new InvalidOperationException($"framework handle {handle} was removed");

    /// <summary>A refuse filter: until when, and what is refused (null: anything on the agent).</summary>
    private readonly record struct Filter(DateTimeOffset Until, ScalarVector? Refused);

    private sealed class Fw
    {
        public required string[] Roles;
        public required int[] Handles;
        public bool Gpu;
        public HashSet<string>? Suppressed;
        public Dictionary<int, Filter>? Filters;
    }
}
