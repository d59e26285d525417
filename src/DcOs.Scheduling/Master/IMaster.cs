using System.Net;
using DcOs.Core;

namespace DcOs.Scheduling.Master;

/// <summary>
/// The master engine a consumer hosts in its own process (<c>services.AddDcOsMaster(...)</c>): it accepts agents and
/// frameworks over the transport, offers resources by weighted DRF, validates and tracks tasks, and persists every
/// durable change. Queries return snapshots taken on the master's event loop.
/// </summary>
public interface IMaster : IAsyncDisposable
{
    /// <summary>Where it listens, once started (with the real port when configured with port 0).</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>Recovers from the store, starts listening and allocating.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops listening, closes connections and timers (tasks keep running on agents).</summary>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary>Every known agent.</summary>
    Task<IReadOnlyList<AgentView>> GetAgentsAsync();

    /// <summary>Every known framework.</summary>
    Task<IReadOnlyList<FrameworkView>> GetFrameworksAsync();

    /// <summary>Every task still known (active ones, and recently completed ones).</summary>
    Task<IReadOnlyList<TaskView>> GetTasksAsync();

    /// <summary>
    /// Why resources did not become tasks of <paramref name="frameworkId"/>: counts per reason, from the framework's
    /// declines and the master's own decisions (maintenance, roles, GPU capability). Empty for an unknown framework.
    /// </summary>
    Task<IReadOnlyDictionary<PlacementReason, long>> GetRejectionCountsAsync(FrameworkId frameworkId);

    /// <summary>
    /// Puts an agent in maintenance: no new offers, its offers rescinded, its tasks killed with
    /// <paramref name="gracePeriod"/> (default <see cref="MasterOptions.DrainGracePeriod"/>); drained once none runs.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such agent.</exception>
    Task DrainAgentAsync(AgentId agentId, TimeSpan? gracePeriod = null);

    /// <summary>Takes a drained or draining agent out of maintenance.</summary>
    /// <exception cref="KeyNotFoundException">No such agent.</exception>
    Task ReactivateAgentAsync(AgentId agentId);

    /// <summary>Kills a task as an operator would.</summary>
    /// <exception cref="KeyNotFoundException">No such task.</exception>
    Task KillTaskAsync(FrameworkId frameworkId, TaskId taskId);

    /// <summary>
    /// Starts watching the master's events; every event published after this call returns is delivered, in order.
    /// A watcher more than <paramref name="capacity"/> events behind is dropped (its channel completes with an error).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    IMasterWatch Watch(int capacity = 65_536);

    /// <summary>Reads part of a task's stdout or stderr from its agent (negative offset: from the end).</summary>
    /// <exception cref="KeyNotFoundException">No such task, or its agent is not connected.</exception>
    Task<TaskLog> ReadTaskLogAsync(FrameworkId frameworkId, TaskId taskId, string file = "stdout", long offset = -65536, int length = 65536);

    /// <summary>
    /// What the tasks on an agent use, measured there (the task's cgroup, or its process group in /proc): cpu time so
    /// far and resident memory. Two answers a while apart give the cpus used in between.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such agent, or it is not connected.</exception>
    /// <exception cref="TimeoutException">The agent did not answer within 10 s.</exception>
    Task<IReadOnlyList<TaskUsageView>> GetTaskUsageAsync(AgentId agentId);
}

/// <summary>A piece of a task's log.</summary>
/// <param name="Data">The text.</param>
/// <param name="Offset">Where it starts in the file.</param>
/// <param name="FileSize">The file's size.</param>
public sealed record TaskLog(string Data, long Offset, long FileSize);
