using System.Net;
using DcOs.Scheduling.Allocation;

namespace DcOs.Scheduling.Master;

/// <summary>Settings of the master engine. Defaults follow Mesos where Mesos has one.</summary>
public sealed class MasterOptions
{
    /// <summary>Where agents, frameworks and operators connect. Default 127.0.0.1:5050 (Mesos' port), loopback only.</summary>
    public EndPoint EndPoint { get; set; } = new IPEndPoint(IPAddress.Loopback, 5050);

    /// <summary>
    /// The cluster's root secret (<c>UseClusterSecret</c>): when set, the master issues each agent its own credential and
    /// binds identities (see <see cref="Master.ClusterSecret"/>). Null: identities are whatever the transport authenticated.
    /// </summary>
    public ClusterSecret? ClusterSecret { get; set; }

    /// <summary>Time between allocation rounds over every agent. Default 1 s (Mesos' allocation_interval).</summary>
    public TimeSpan AllocationInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An offer not answered within this time is rescinded. Null (Mesos' default): offers do not time out.</summary>
    public TimeSpan? OfferTimeout { get; set; }

    /// <summary>Time between pings of each agent. Default 15 s (Mesos' agent_ping_timeout).</summary>
    public TimeSpan AgentPingTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Unanswered pings after which an agent is unreachable. Default 5 (Mesos' max_agent_ping_timeouts).</summary>
    public int MaxAgentPingTimeouts { get; set; } = 5;

    /// <summary>
    /// At most <see cref="AgentRemovalRateLimit.Agents"/> agents declared unreachable per
    /// <see cref="AgentRemovalRateLimit.Per"/> (Mesos' <c>--agent_removal_rate_limit</c>, e.g. 1 per 20 minutes): when a
    /// switch or a rack fails, agents go one at a time and an operator has time to act; an agent that answers again
    /// before its turn is not removed. Null (the default, as Mesos): no limit.
    /// </summary>
    public AgentRemovalRateLimit? AgentRemovalRateLimit { get; set; }

    /// <summary>After a master restart, how long agents have to re-register before they are unreachable. Default 10 min.</summary>
    public TimeSpan AgentReregisterTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Default time a draining agent's tasks get between SIGTERM and SIGKILL. Default 30 s.</summary>
    public TimeSpan DrainGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Weight of each role in the weighted DRF order (default 1).</summary>
    public IDictionary<string, double> RoleWeights { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Quota guarantees and limits per role.</summary>
    public IDictionary<string, RoleQuota> RoleQuotas { get; } = new Dictionary<string, RoleQuota>(StringComparer.Ordinal);

    /// <summary>
    /// After a failed store write, how often the master checks whether the store accepts writes again; it acts again
    /// (reloading its state from the store) after the first check that succeeds. Default 5 s.
    /// </summary>
    public TimeSpan StoreRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Terminal tasks kept per framework for queries after they are acknowledged. Default 1,000.</summary>
    public int CompletedTasksPerFramework { get; set; } = 1000;

    /// <summary>
    /// How the cluster's machines are paid for, which the master's batch placement minimizes and reports:
    /// <see cref="Core.Placement.BillingMode.Machine"/> (default: a machine is paid while it runs anything) or
    /// <see cref="Core.Placement.BillingMode.Chargeback"/> (a fixed cluster whose owners pay for what they reserve).
    /// </summary>
    public Core.Placement.BillingMode Billing { get; set; } = Core.Placement.BillingMode.Machine;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(EndPoint);
        Require(AllocationInterval > TimeSpan.Zero, nameof(AllocationInterval), "must be positive");
        Require(OfferTimeout is null || OfferTimeout > TimeSpan.Zero, nameof(OfferTimeout), "must be positive when set");
        Require(AgentPingTimeout > TimeSpan.Zero, nameof(AgentPingTimeout), "must be positive");
        Require(MaxAgentPingTimeouts >= 1, nameof(MaxAgentPingTimeouts), "must be at least 1");
        if (AgentRemovalRateLimit is { } limit)
        {
            Require(limit.Agents >= 1, nameof(AgentRemovalRateLimit) + ".Agents", "must be at least 1");
            Require(limit.Per > TimeSpan.Zero, nameof(AgentRemovalRateLimit) + ".Per", "must be positive");
        }
        Require(AgentReregisterTimeout > TimeSpan.Zero, nameof(AgentReregisterTimeout), "must be positive");
        Require(DrainGracePeriod >= TimeSpan.Zero, nameof(DrainGracePeriod), "must not be negative");
        Require(StoreRetryInterval > TimeSpan.Zero, nameof(StoreRetryInterval), "must be positive");
        Require(CompletedTasksPerFramework >= 0, nameof(CompletedTasksPerFramework), "must not be negative");
        Require(Enum.IsDefined(Billing), nameof(Billing), $"must be Machine or Chargeback, not {Billing}");
        foreach (var (role, weight) in RoleWeights)
        {
            Require(weight > 0 && double.IsFinite(weight), nameof(RoleWeights), $"the weight of '{role}' must be a positive number");
            Core.ResourceNames.ValidateRole(role, $"MasterOptions.RoleWeights.{role}");
        }
        foreach (var (role, quota) in RoleQuotas)
        {
            Core.ResourceNames.ValidateRole(role, $"MasterOptions.RoleQuotas.{role}");
            Require(quota is not null, nameof(RoleQuotas), $"the quota of '{role}' is null");
        }
    }

    private static void Require(bool condition, string name, string reason)
    {
        if (!condition) throw new ArgumentException($"MasterOptions.{name}: {reason}", name);
    }
}
