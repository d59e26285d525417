namespace DcOs.Scheduling.Allocation;

/// <summary>
/// Weighted dominant-resource-fairness order of clients (roles, or frameworks inside a role), as Mesos' DRFSorter:
/// ascending by dominant share divided by weight, then by how many allocations the client received (so equal shares
/// alternate), then by name. Shares are kept in a sorted set that is updated per allocation; a change of the cluster
/// total only marks the order stale, and it is rebuilt once before the next round.
/// </summary>
internal sealed class DrfSorter
{
    private readonly List<Client> _clients = [];
    private readonly Stack<int> _free = new();
    private readonly SortedSet<int> _order;
    private ScalarVector _total;
    private bool _stale;

    public DrfSorter() => _order = new SortedSet<int>(Comparer<int>.Create(Compare));

    public int Count => _order.Count;

    /// <summary>Adds a client; returns its handle (reused after removal).</summary>
    public int Add(string name, double weight = 1.0)
    {
        if (!(weight > 0) || double.IsInfinity(weight)) throw new ArgumentOutOfRangeException(nameof(weight), $"weight of '{name}' must be a positive number");
        var client = new Client { Name = name, Weight = weight, Active = true, InUse = true };
        int handle;
        if (_free.TryPop(out handle)) _clients[handle] = client;
        else
        {
            handle = _clients.Count;
            _clients.Add(client);
        }
        Slot(handle).Share = ComputeShare(handle);
        if (!_stale) _order.Add(handle);
        return handle;
    }

    public void Remove(int handle)
    {
        if (!_clients[handle].InUse) return;
        if (!_stale) _order.Remove(handle);
        _clients[handle] = default;
        _free.Push(handle);
    }

    public string NameOf(int handle) => _clients[handle].Name;

    public double Weight(int handle) => _clients[handle].Weight;

    public double Share(int handle) => _clients[handle].Share;

    public ScalarVector Allocation(int handle) => _clients[handle].Allocated;

    /// <summary>Inactive clients keep their allocation but are left out of the order.</summary>
    public void SetActive(int handle, bool active)
    {
        if (_clients[handle].Active == active) return;
        if (active)
        {
            Slot(handle).Active = true;
            if (!_stale) _order.Add(handle);
        }
        else
        {
            if (!_stale) _order.Remove(handle);
            Slot(handle).Active = false;
        }
    }

    public void SetWeight(int handle, double weight)
    {
        var attached = Detach(handle);
        Slot(handle).Weight = weight;
        Attach(handle, attached);
    }

    public void Allocated(int handle, in ScalarVector amount, bool countAllocation = true)
    {
        var attached = Detach(handle);
        ref var client = ref Slot(handle);
        client.Allocated.Add(amount);
        if (countAllocation) client.Allocations++;
        Attach(handle, attached);
    }

    public void Unallocated(int handle, in ScalarVector amount)
    {
        var attached = Detach(handle);
        Slot(handle).Allocated.Subtract(amount);
        Attach(handle, attached);
    }

    /// <summary>Sets the cluster total shares are measured against; the order is rebuilt lazily.</summary>
    public void SetTotal(in ScalarVector total)
    {
        _total = total;
        _stale = true;
    }

    /// <summary>Clients in DRF order (active ones only).</summary>
    public IEnumerable<int> Order()
    {
        Refresh();
        return _order;
    }

    /// <summary>The first client in order, or -1.</summary>
    public int First()
    {
        Refresh();
        return _order.Count == 0 ? -1 : _order.Min;
    }

    /// <summary>Weighted share: the value the order sorts by.</summary>
    public double WeightedShare(int handle) => _clients[handle].Share / _clients[handle].Weight;

    private void Refresh()
    {
        if (!_stale) return;
        _stale = false;
        _order.Clear();
        for (var i = 0; i < _clients.Count; i++)
        {
            if (!_clients[i].InUse) continue;
            Slot(i).Share = ComputeShare(i);
            if (_clients[i].Active) _order.Add(i);
        }
    }

    private ref Client Slot(int handle) => ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_clients)[handle];

    // While the order is stale (the total changed) it is left alone and rebuilt whole by Refresh; otherwise a client is
    // taken out before its key changes and put back after, as a sorted set requires.
    private bool Detach(int handle) => !_stale && _clients[handle].Active && _order.Remove(handle);

    private void Attach(int handle, bool wasAttached)
    {
        ref var client = ref Slot(handle);
        client.Share = ComputeShare(handle);
        if (wasAttached) _order.Add(handle);
    }

    private double ComputeShare(int handle) => _clients[handle].Allocated.ShareOf(_total);

    private int Compare(int a, int b)
    {
        if (a == b) return 0;
        var ca = _clients[a];
        var cb = _clients[b];
        var c = (ca.Share / ca.Weight).CompareTo(cb.Share / cb.Weight);
        if (c != 0) return c;
        c = ca.Allocations.CompareTo(cb.Allocations);
        if (c != 0) return c;
        c = string.CompareOrdinal(ca.Name, cb.Name);
        return c != 0 ? c : a.CompareTo(b);
    }

    private struct Client
    {
        public string Name;
        public double Weight;
        public double Share;
        public long Allocations;
        public ScalarVector Allocated;
        public bool Active;
        public bool InUse;
    }
}
