using DcOs.Core;
using DcOs.Scheduling.Allocation;
using DcOs.Transport;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The frameworks the master knows, found by id, by connection and by allocator handle, and the ids of removed ones
/// (which may never subscribe again). Every known framework has one allocator handle; these indexes and the
/// allocator's handles change only here, together.
/// </summary>
internal sealed class FrameworkTable(HierarchicalAllocator allocator, StoreChangeSet store)
{
    private readonly Dictionary<FrameworkId, FrameworkState> _byId = [];
    private readonly Dictionary<IMessageConnection, FrameworkState> _byConnection = new(ReferenceEqualityComparer.Instance);
    private readonly List<FrameworkState?> _byHandle = [];
    private readonly HashSet<FrameworkId> _removed = [];

    public IEnumerable<FrameworkState> All => _byId.Values;

    public bool TryGet(FrameworkId id, out FrameworkState framework) => _byId.TryGetValue(id, out framework!);

    public FrameworkState? Of(IMessageConnection connection) => _byConnection.GetValueOrDefault(connection);

    /// <summary>The framework with allocator handle <paramref name="handle"/>, or null (removed, or never there).</summary>
    public FrameworkState? WithHandle(int handle) => handle >= 0 && handle < _byHandle.Count ? _byHandle[handle] : null;

    /// <summary>The allocator handle of <paramref name="id"/>, or -1 when the framework is not known.</summary>
    public int HandleOf(FrameworkId id) => _byId.TryGetValue(id, out var fw) ? fw.Handle : -1;

    public bool WasRemoved(FrameworkId id) => _removed.Contains(id);

    /// <summary>Takes a framework in with an allocator handle for its roles; it starts active.</summary>
    public FrameworkState Add(FrameworkInfo info, DateTimeOffset registeredAt)
    {
        var handle = allocator.AddFramework(info.Id.Value, info.Roles, info.Capabilities.HasFlag(FrameworkCapabilities.GpuResources));
        var fw = new FrameworkState(info, handle, registeredAt);
        _byId[info.Id] = fw;
        while (_byHandle.Count <= handle) _byHandle.Add(null);
        _byHandle[handle] = fw;
        return fw;
    }

    /// <summary>Binds the framework to <paramref name="connection"/>; a previous, other connection is closed (failover).</summary>
    public void Attach(FrameworkState fw, IMessageConnection connection)
    {
        if (fw.Connection is { } old && !ReferenceEquals(old, connection))
        {
            _byConnection.Remove(old);
            _ = old.CloseAsync("framework failed over to a new connection");
        }
        fw.Connection = connection;
        _byConnection[connection] = fw;
        allocator.SetFrameworkActive(fw.Handle, true);
    }

    /// <summary>
    /// The connection closed: the framework it belonged to, if it still was that framework's connection, now detached
    /// and no longer offered; null otherwise.
    /// </summary>
    public FrameworkState? Detach(IMessageConnection connection)
    {
        if (!_byConnection.Remove(connection, out var fw) || !ReferenceEquals(fw.Connection, connection)) return null;
        fw.Connection = null;
        if (!fw.Removed) allocator.SetFrameworkActive(fw.Handle, false);
        return fw;
    }

    /// <summary>A framework recovered from the store waits, not offered, for its scheduler to subscribe again.</summary>
    public void SetInactive(FrameworkState fw) => allocator.SetFrameworkActive(fw.Handle, false);

    /// <summary>
    /// Forgets the framework, in memory and in the store: its allocator handle is released and its id can no longer
    /// subscribe. The caller has recovered its offers and its tasks' resources first.
    /// </summary>
    public void Remove(FrameworkState fw)
    {
        fw.Removed = true;
        fw.FailoverTimer?.Dispose();
        allocator.RemoveFramework(fw.Handle);
        _byHandle[fw.Handle] = null;
        fw.Handle = -1;
        _byId.Remove(fw.Id);
        _removed.Add(fw.Id);
        store.Remove(fw.Id);
    }

    /// <summary>Writes the framework's durable part (its subscription) with the step.</summary>
    public void Save(FrameworkState fw) => store.Save(new FrameworkRecord(fw.Info, fw.RegisteredAt));
}
