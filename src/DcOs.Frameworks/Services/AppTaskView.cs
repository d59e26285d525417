namespace DcOs.Frameworks.Services;

/// <summary>One instance of an app.</summary>
/// <param name="Id">Its task id.</param>
/// <param name="State">Its state, as Mesos names it (TASK_RUNNING).</param>
/// <param name="AgentId">Its agent.</param>
/// <param name="Host">Its agent's hostname.</param>
/// <param name="Healthy">Its last health-check result; null before the first, or without a check.</param>
/// <param name="Version">The app version it runs.</param>
/// <param name="StartedAt">When it was first running.</param>
/// <param name="Ports">The ports it was given.</param>
public sealed record AppTaskView(string Id, string State, string AgentId, string Host, bool? Healthy, int Version, DateTimeOffset? StartedAt, IReadOnlyList<ulong> Ports);
