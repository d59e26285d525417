using System.Text.Json;

namespace DcOs.Cli;

// The JSON shapes of docs/http-api.md. Every field is optional on reading so that a newer master still works.

internal sealed record ResourcesInfo(double Cpus, double Mem, double Disk, double Gpus, string? Ports);

internal sealed record AgentCost(double MachinePerHour, double SpeedFactor, bool Preemptible);

internal sealed record AgentInfo(
    string Id,
    string? Hostname,
    string? Status,
    Dictionary<string, string>? Attributes,
    string? Region,
    string? Zone,
    ResourcesInfo? Total,
    ResourcesInfo? Used,
    ResourcesInfo? Offered,
    int ActiveTasks,
    string? IsolationWarning,
    AgentCost? Cost,
    DateTimeOffset? RegisteredAt);

internal sealed record IdStatus(string? Id, string? Status);

internal sealed record TaskInfo(
    string Id,
    string? AppId,
    string? JobId,
    string? FrameworkId,
    string? AgentId,
    string? Hostname,
    string? State,
    string? Message,
    bool? Healthy,
    DateTimeOffset? StartedAt,
    DateTimeOffset? UpdatedAt,
    double Cpus,
    double Mem,
    List<long>? Ports);

internal sealed record LogChunk(string? Data, long Offset, long FileSize);

/// <summary>A task as listed inside <c>GET /api/apps/{id}</c>.</summary>
internal sealed record AppTask(
    string Id,
    string? State,
    string? AgentId,
    string? Host,
    string? Hostname,
    bool? Healthy,
    JsonElement? Version,
    DateTimeOffset? StartedAt,
    List<long>? Ports);

internal sealed record AppInfo(
    string Id,
    string? Cmd,
    List<string>? Args,
    double Cpus,
    double Mem,
    double Disk,
    double Gpus,
    int Instances,
    List<int>? Ports,
    Dictionary<string, string>? Env,
    List<List<string>>? Constraints,
    List<JsonElement>? HealthChecks,
    string? CostObjective,
    int TasksRunning,
    int TasksHealthy,
    int TasksStaged,
    JsonElement? Version,
    bool Deploying,
    List<AppTask>? Tasks,
    int TasksUnreachable = 0,
    string? Message = null);

internal sealed record JobRunSpec(
    string? Cmd,
    double Cpus,
    double Mem,
    double Disk,
    int MaxRetries,
    double? EstimatedDurationSeconds,
    double? DeadlineSeconds);

internal sealed record JobRun(
    string? RunId,
    string? Status,
    int? ExitCode,
    string? Message,
    string? TaskId,
    string? AgentId,
    int Attempts,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? CostEstimate);

internal sealed record JobInfo(string Id, JobRunSpec? Run, string? Schedule, JobRun? LastRun);

internal sealed record RunStarted(string? RunId);

internal sealed record PendingEntry(string? AppId, string? JobId, int Waiting, Dictionary<string, long>? Reasons, string? Summary);

internal sealed record AgentCostLine(string? AgentId, string? Hostname, double PerHour, double MachinePerHour, int Tasks, bool Idle, double Utilization);

internal sealed record AppCostLine(string? AppId, double PerHour, int Instances);

internal sealed record CostReport(double TotalPerHour, double IdlePerHour, int IdleMachines, List<AgentCostLine>? ByAgent, List<AppCostLine>? ByApp,
    double? FirstFitPerHour = null, int? FirstFitUnplaced = null, double? SavingsVsFirstFitPerHour = null);

internal sealed record ConsolidationMove(string TaskId, string? AppId, string From, string To);

internal sealed record ConsolidationReport(int MaxMoves, List<ConsolidationMove>? Moves, List<string>? MachinesSwitchedOff, List<string>? IdleMachines,
    double IdlePerHour, double BillBeforePerHour, double BillAfterPerHour, double SavingsPerHour, List<string>? Started = null);
