using DcOs.Core;
using DcOs.Scheduling.Allocation;
using DcOs.Transport;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The agents the master knows, found by id, by connection and by allocator slot. Every agent has exactly one slot in
/// the allocator, and these indexes and the allocator's slots change only here, together.
/// </summary>
internal sealed class AgentTable(HierarchicalAllocator allocator, StoreChangeSet store)
{
    private readonly Dictionary<AgentId, AgentState> _byId = [];
    private readonly Dictionary<IMessageConnection, AgentState> _byConnection = new(ReferenceEqualityComparer.Instance);
    private readonly List<AgentState?> _bySlot = [];

    public int Count => _byId.Count;

    public IEnumerable<AgentState> All => _byId.Values;

    public bool TryGet(AgentId id, out AgentState agent) => _byId.TryGetValue(id, out agent!);

    public bool Contains(AgentId id) => _byId.ContainsKey(id);

    public AgentState? Of(IMessageConnection connection) => _byConnection.GetValueOrDefault(connection);

    public AgentState AtSlot(int slot) => _bySlot[slot] ?? throw new InvalidOperationException($"no agent at slot {slot}");

    /// <summary>Takes an agent in: it gets an allocator slot with all of its resources free.</summary>
    public AgentState Add(AgentInfo info, DateTimeOffset registeredAt)
    {
        var slot = allocator.AddAgent(info.Resources);
        var agent = new AgentState(info, slot, registeredAt);
        _byId[info.Id] = agent;
        Place(agent);
        return agent;
    }

    /// <summary>
    /// The agent came back with other resources: it moves to a fresh slot of the new size, and every task that still
    /// holds resources is charged there again (<paramref name="frameworkHandle"/> maps a task's framework to its
    /// allocator handle, negative when the framework is gone). The caller has rescinded its offers first.
    /// </summary>
    public void Resize(AgentState agent, AgentInfo info, Func<FrameworkId, int> frameworkHandle)
    {
        allocator.RemoveAgent(agent.Slot);
        _bySlot[agent.Slot] = null;
        agent.Info = info;
        agent.Slot = allocator.AddAgent(info.Resources);
        Place(agent);
        foreach (var task in agent.TaskList)
        {
            if (task.HoldsResources && frameworkHandle(task.FrameworkId) is var handle and >= 0) allocator.AddAllocation(agent.Slot, handle, task.Role, task.Spec.Resources);
        }
    }

    /// <summary>
    /// Binds the agent to <paramref name="connection"/> (null when it dropped or is being closed). A previous connection
    /// replaced by another is closed; detaching leaves closing to the caller.
    /// </summary>
    public void Attach(AgentState agent, IMessageConnection? connection)
    {
        if (agent.Connection is { } old)
        {
            _byConnection.Remove(old);
            if (connection is not null && !ReferenceEquals(old, connection)) _ = old.CloseAsync("the agent connected again");
        }
        agent.Connection = connection;
        if (connection is not null) _byConnection[connection] = agent;
    }

    /// <summary>
    /// Sets where the agent stands and whether the allocator may offer it (<paramref name="usable"/>; by default: only
    /// an active agent that is connected is offered).
    /// </summary>
    public void SetStatus(AgentState agent, AgentStatus status, bool? usable = null)
    {
        agent.Status = status;
        allocator.SetAgentUsable(agent.Slot, usable ?? (status == AgentStatus.Active && agent.Connection is not null));
    }

    /// <summary>Writes the agent's durable part (its registration and status) with the step.</summary>
    public void Save(AgentState agent) => store.Save(new AgentRecord(agent.Info, agent.Status, agent.RegisteredAt));

    private void Place(AgentState agent)
    {
        while (_bySlot.Count <= agent.Slot) _bySlot.Add(null);
        _bySlot[agent.Slot] = agent;
    }
}
