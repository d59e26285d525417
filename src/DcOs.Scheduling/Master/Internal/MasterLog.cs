using DcOs.Transport.Messages;
using Microsoft.Extensions.Logging;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>The master's log messages (source-generated).</summary>
internal static partial class MasterLog
{
    [LoggerMessage(100, LogLevel.Information, "Master listening on {EndPoint}; recovered {Agents} agents, {Frameworks} frameworks, {Tasks} tasks")]
    public static partial void Started(ILogger logger, string endPoint, int agents, int frameworks, int tasks);

    [LoggerMessage(101, LogLevel.Information, "Agent {AgentId} ({Hostname}) registered with {Resources}")]
    public static partial void AgentRegistered(ILogger logger, string agentId, string hostname, string resources);

    [LoggerMessage(102, LogLevel.Information, "Agent {AgentId} re-registered with {Tasks} tasks")]
    public static partial void AgentReregistered(ILogger logger, string agentId, int tasks);

    [LoggerMessage(103, LogLevel.Warning, "Agent {AgentId} is unreachable: {Reason}")]
    public static partial void AgentUnreachable(ILogger logger, string agentId, string reason);

    [LoggerMessage(104, LogLevel.Information, "Framework {FrameworkId} ({Name}) subscribed{Failover}")]
    public static partial void FrameworkSubscribed(ILogger logger, string frameworkId, string name, string failover);

    [LoggerMessage(105, LogLevel.Information, "Framework {FrameworkId} disconnected; failover timeout {Timeout}")]
    public static partial void FrameworkDisconnected(ILogger logger, string frameworkId, TimeSpan timeout);

    [LoggerMessage(106, LogLevel.Information, "Framework {FrameworkId} removed: {Reason}")]
    public static partial void FrameworkRemoved(ILogger logger, string frameworkId, string reason);

    [LoggerMessage(107, LogLevel.Warning, "Refused {Message} from {Principal}: {Reason}")]
    public static partial void Refused(ILogger logger, string message, string principal, string reason);

    [LoggerMessage(108, LogLevel.Error, "The master's event loop failed on a work item")]
    public static partial void WorkFailed(ILogger logger, Exception exception);

    [LoggerMessage(109, LogLevel.Warning, "Closing {Peer}: its send queue is full")]
    public static partial void SlowPeer(ILogger logger, string peer);

    [LoggerMessage(110, LogLevel.Information, "Agent {AgentId} is draining (grace period {Grace})")]
    public static partial void Draining(ILogger logger, string agentId, TimeSpan grace);

    [LoggerMessage(111, LogLevel.Warning, "Agent {AgentId} reports {Code}: {Message}")]
    public static partial void AgentError(ILogger logger, string agentId, ErrorCode code, string message);

    [LoggerMessage(112, LogLevel.Critical, "A store write failed: the master stops acting (nothing of the failed step was applied or sent) and checks the store every {Interval}")]
    public static partial void StoreFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(113, LogLevel.Debug, "The store still fails: {Reason}")]
    public static partial void StoreStillFailing(ILogger logger, string reason);

    [LoggerMessage(114, LogLevel.Warning, "The store accepts writes again: the master reloaded {Agents} agents, {Frameworks} frameworks, {Tasks} tasks from it and closed {Connections} connections for their peers to register again")]
    public static partial void StoreResumed(ILogger logger, int agents, int frameworks, int tasks, int connections);

    [LoggerMessage(140, LogLevel.Warning, "Agent {AgentId} is due to be declared unreachable ({Reason}); the removal rate limit holds it back behind {Waiting} other(s)")]
    public static partial void RemovalPending(ILogger logger, string agentId, string reason, int waiting);
}
