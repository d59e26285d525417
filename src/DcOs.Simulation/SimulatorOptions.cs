using System.Net;
using DcOs.Core;
using DcOs.Transport;

namespace DcOs.Simulation;

/// <summary>How a <see cref="ClusterSimulator"/>'s agents reach their master and behave.</summary>
public sealed class SimulatorOptions
{
    /// <summary>
    /// The masters' endpoints, tried in order as a real agent does: the next at once after a failure, a backoff once the
    /// list went round.
    /// </summary>
    public required IReadOnlyList<EndPoint> Masters { get; init; }

    /// <summary>
    /// The transports the agents connect through: agent <c>i</c> uses <c>Transports[i % Count]</c>. One in-memory
    /// transport shared with the master, or TCP transports, one per source address
    /// (<see cref="TransportOptions.LocalAddress"/>), to spread many agents over loopback addresses.
    /// </summary>
    public required IReadOnlyList<IDcOsTransport> Transports { get; init; }

    /// <summary>The clock every simulated delay reads; a fake one runs hours of cluster time in seconds. Default system time.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>What each launched task does. Default: it runs until killed.</summary>
    public Func<TaskSpec, SimulatedTaskBehavior> TaskBehavior { get; init; } = static _ => SimulatedTaskBehavior.UntilKilled;

    /// <summary>The credentials an agent presents, until the master issues it a token. Default: principal <c>agent-{hostname}</c>, no secret.</summary>
    public Func<AgentInfo, ClientCredentials> Credentials { get; init; } = static info => new ClientCredentials("agent-" + info.Hostname, PeerRole.Agent);

    /// <summary>First delay before an unacknowledged status update is sent again, doubling (with jitter) after each resend. Default 10 s, as the real agent.</summary>
    public TimeSpan StatusUpdateRetryInitial { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest delay between resends. Default 10 minutes, as the real agent.</summary>
    public TimeSpan StatusUpdateRetryMax { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an agent waits for the master's answer to a registration before it tries again. Default 10 s.</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait between attempts to reach a master (the first waits up to 1 s). Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many registrations <see cref="ClusterSimulator.AddAgentsAsync"/> keeps in flight. Default 256.</summary>
    public int RegistrationConcurrency { get; init; } = 256;

    /// <summary>
    /// Extra copies of every status update an agent sends, at once: an injected resend storm, to test that the master
    /// and the framework SDK deliver each update exactly once. Default 0.
    /// </summary>
    public int DuplicateUpdates { get; init; }

    /// <summary>Seeds the update ids and jitter, so a run on a fake clock is reproducible. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Throws a <see cref="ValidationException"/> naming the first field that is missing or out of range.</summary>
    public SimulatorOptions Validate()
    {
        if (Masters is null || Masters.Count == 0 || Masters.Any(m => m is null)) throw new ValidationException(nameof(Masters), "needs at least one endpoint and no null entry");
        if (Transports is null || Transports.Count == 0 || Transports.Any(t => t is null)) throw new ValidationException(nameof(Transports), "needs at least one transport and no null entry");
        if (Time is null) throw new ValidationException(nameof(Time), "is required");
        if (TaskBehavior is null) throw new ValidationException(nameof(TaskBehavior), "is required");
        if (Credentials is null) throw new ValidationException(nameof(Credentials), "is required");
        if (StatusUpdateRetryInitial <= TimeSpan.Zero) throw new ValidationException(nameof(StatusUpdateRetryInitial), "must be positive");
        if (StatusUpdateRetryMax < StatusUpdateRetryInitial) throw new ValidationException(nameof(StatusUpdateRetryMax), "must be at least StatusUpdateRetryInitial");
        if (RegistrationTimeout <= TimeSpan.Zero) throw new ValidationException(nameof(RegistrationTimeout), "must be positive");
        if (ReconnectMaxDelay < TimeSpan.FromSeconds(1)) throw new ValidationException(nameof(ReconnectMaxDelay), "must be at least 1 s");
        if (RegistrationConcurrency is < 1 or > 100_000) throw new ValidationException(nameof(RegistrationConcurrency), "must be between 1 and 100,000");
        if (DuplicateUpdates is < 0 or > 100) throw new ValidationException(nameof(DuplicateUpdates), "must be between 0 and 100");
        return this;
    }
}
