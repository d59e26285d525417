using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Framework;

/// <summary>
/// What a scheduler calls to act on the cluster. Calls made while disconnected are dropped (and logged), as in Mesos'
/// drivers: after re-subscribing, a scheduler reconciles to learn the truth.
/// </summary>
public interface IFrameworkDriver
{
    /// <summary>The framework's id; empty until first subscribed.</summary>
    FrameworkId FrameworkId { get; }

    /// <summary>
    /// How the cluster's machines are paid for, as the master said when the framework subscribed (machine billing until
    /// then, and with a master that does not say): what a planner over offers should minimize.
    /// </summary>
    BillingMode Billing { get; }

    /// <summary>Whether the driver is subscribed right now.</summary>
    bool IsConnected { get; }

    /// <summary>Launches <paramref name="tasks"/> on the offers (all of one agent); what they leave unused is declined with <paramref name="filters"/>.</summary>
    ValueTask AcceptAsync(IReadOnlyList<OfferId> offerIds, IReadOnlyList<TaskSpec> tasks, Filters? filters = null);

    /// <summary>Declines offers; <paramref name="reasons"/> says why they were of no use (counted by the master for "why pending").</summary>
    ValueTask DeclineAsync(IReadOnlyList<OfferId> offerIds, Filters? filters = null, IReadOnlyDictionary<PlacementReason, long>? reasons = null);

    /// <summary>Lifts decline filters and suppression (for the roles, or all).</summary>
    ValueTask ReviveAsync(params string[] roles);

    /// <summary>Stops offers (for the roles, or all) until revived.</summary>
    ValueTask SuppressAsync(params string[] roles);

    /// <summary>Kills a task.</summary>
    ValueTask KillTaskAsync(TaskId taskId, AgentId agentId = default);

    /// <summary>Asks for the state of these tasks, or of all the framework's tasks when the list is empty.</summary>
    ValueTask ReconcileAsync(IReadOnlyList<(TaskId TaskId, AgentId AgentId)> tasks);

    /// <summary>Acknowledges a status update (needed only when automatic acknowledgement is off).</summary>
    ValueTask AcknowledgeAsync(TaskStatusUpdate status);

    /// <summary>
    /// Centralized mode: the master places <paramref name="tasks"/> on the whole cluster's free resources with its cost
    /// optimizer (for <paramref name="objective"/>) and launches them; the answer says where each
    /// went and why the others could not be placed. Their status updates follow as usual.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not connected, or the master refused the request.</exception>
    Task<BatchPlacement> PlaceTasksAsync(IReadOnlyList<TaskSpec> tasks, ObjectiveKind objective = ObjectiveKind.Cheapest, TimeSpan? estimatedDuration = null);

    /// <summary>Sends data to an executor on an agent.</summary>
    ValueTask SendFrameworkMessageAsync(AgentId agentId, ExecutorId executorId, byte[] data);
}
