using DcOs.Transport.Messages;
using Microsoft.Extensions.Logging;

namespace DcOs.Agent.Internal;

/// <summary>The agent's log messages (source-generated: no formatting cost when a level is off).</summary>
internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Information, "Agent starting in {WorkDir}: {Hostname}, resources {Resources}, attributes {Attributes}")]
    public static partial void Starting(ILogger logger, string workDir, string hostname, string resources, string attributes);

    [LoggerMessage(2, LogLevel.Information, "Discovered {Note}")]
    public static partial void Discovered(ILogger logger, string note);

    [LoggerMessage(3, LogLevel.Information, "Tasks are isolated with {Isolation}")]
    public static partial void Isolated(ILogger logger, string isolation);

    [LoggerMessage(4, LogLevel.Warning, "Tasks are NOT isolated: {Warning}")]
    public static partial void NotIsolated(ILogger logger, string warning);

    [LoggerMessage(5, LogLevel.Warning, "Recovery: {Problem}")]
    public static partial void RecoveryProblem(ILogger logger, string problem);

    [LoggerMessage(6, LogLevel.Information, "Recovered {Running} running task(s), {Ended} ended while the agent was down, {Pending} stream(s) with unacknowledged updates")]
    public static partial void Recovered(ILogger logger, int running, int ended, int pending);

    [LoggerMessage(7, LogLevel.Information, "Registered with the master at {Master} as agent {AgentId} ({Tasks} task(s) reported)")]
    public static partial void Registered(ILogger logger, string master, string agentId, int tasks);

    [LoggerMessage(8, LogLevel.Warning, "The master refused the registration: {Reason}")]
    public static partial void RegistrationRefused(ILogger logger, string reason);

    [LoggerMessage(9, LogLevel.Warning, "Registration with the master failed: {Reason}")]
    public static partial void RegistrationFailed(ILogger logger, string reason);

    [LoggerMessage(10, LogLevel.Error, "The master answered with agent id {Theirs} but this work directory belongs to agent {Ours}; keeping {Ours}")]
    public static partial void AgentIdMismatch(ILogger logger, string ours, string theirs);

    [LoggerMessage(11, LogLevel.Warning, "Refused task {TaskId} of framework {FrameworkId}: {Reason}")]
    public static partial void TaskRefused(ILogger logger, string frameworkId, string taskId, string reason);

    [LoggerMessage(12, LogLevel.Debug, "Task {TaskId} of framework {FrameworkId} runs as pid {Pid}")]
    public static partial void TaskStarted(ILogger logger, string frameworkId, string taskId, int pid);

    [LoggerMessage(13, LogLevel.Debug, "Task {TaskId} of framework {FrameworkId} is {State}: {Message}")]
    public static partial void TaskEnded(ILogger logger, string frameworkId, string taskId, string state, string message);

    [LoggerMessage(14, LogLevel.Information, "Re-attached to task {TaskId} of framework {FrameworkId} (pid {Pid})")]
    public static partial void TaskReattached(ILogger logger, string frameworkId, string taskId, int pid);

    [LoggerMessage(15, LogLevel.Warning, "Asked to kill task {TaskId} of framework {FrameworkId}, which this agent does not know")]
    public static partial void KillUnknownTask(ILogger logger, string frameworkId, string taskId);

    [LoggerMessage(16, LogLevel.Debug, "Ignored an acknowledgement of update {UpdateId} of task {TaskId}: not the oldest pending update")]
    public static partial void AckIgnored(ILogger logger, string taskId, Guid updateId);

    [LoggerMessage(17, LogLevel.Error, "Task {TaskId} of framework {FrameworkId} failed in the agent")]
    public static partial void TaskCrashed(ILogger logger, Exception exception, string frameworkId, string taskId);

    [LoggerMessage(18, LogLevel.Debug, "Removed the sandbox of task {TaskId} of framework {FrameworkId}")]
    public static partial void SandboxCollected(ILogger logger, string frameworkId, string taskId);

    [LoggerMessage(19, LogLevel.Warning, "Could not remove cgroup {Directory}: processes are still in it")]
    public static partial void CgroupLeft(ILogger logger, string directory);

    [LoggerMessage(20, LogLevel.Debug, "Ignored a {MessageType} from the master")]
    public static partial void UnexpectedMessage(ILogger logger, string messageType);

    [LoggerMessage(21, LogLevel.Information, "Cut {Bytes} bytes from {File} to keep it under the size limit")]
    public static partial void LogCut(ILogger logger, string file, long bytes);

    [LoggerMessage(22, LogLevel.Information, "Task {TaskId} of framework {FrameworkId} is {Health}: {Detail}")]
    public static partial void HealthChanged(ILogger logger, string frameworkId, string taskId, string health, string detail);

    [LoggerMessage(23, LogLevel.Warning, "The master sent an error: {Code}: {Message}")]
    public static partial void MasterError(ILogger logger, ErrorCode code, string message);

    [LoggerMessage(24, LogLevel.Warning, "Background work failed: {What}")]
    public static partial void BackgroundFailed(ILogger logger, Exception exception, string what);

    [LoggerMessage(25, LogLevel.Information, "Agent stopped ({Tasks} task(s) {Fate})")]
    public static partial void Stopped(ILogger logger, int tasks, string fate);

    [LoggerMessage(26, LogLevel.Error, "Could not write the status-update log {Path}; updates are still sent, but an agent crash now could lose them")]
    public static partial void UpdateLogFailed(ILogger logger, Exception exception, string path);
}
