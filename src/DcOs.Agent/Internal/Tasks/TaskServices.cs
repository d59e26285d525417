using DcOs.Agent.Internal.Isolation;
using DcOs.Agent.Internal.Linux;
using DcOs.Agent.Internal.Updates;
using DcOs.Core;
using Microsoft.Extensions.Logging;

namespace DcOs.Agent.Internal.Tasks;

/// <summary>What every task of one agent shares: settings, the work directory, time, the reaper, cgroups, the update manager.</summary>
internal sealed class TaskServices
{
    public required AgentOptions Options { get; init; }

    public required AgentPaths Paths { get; init; }

    public required TimeProvider Time { get; init; }

    public required ProcessReaper Reaper { get; init; }

    public required Cgroups? Cgroups { get; init; }

    public required StatusUpdateManager Updates { get; init; }

    public required ILogger Logger { get; init; }

    public required string Hostname { get; init; }

    public required IReadOnlyDictionary<string, string> BaseEnvironment { get; init; }

    public required Func<AgentId> AgentId { get; init; }

    /// <summary>Whether the agent offers GPU devices: tasks given none are then shown none (<c>CUDA_VISIBLE_DEVICES</c> empty).</summary>
    public bool HasGpus { get; init; }

    /// <summary>Which account each task runs as.</summary>
    public required TaskUsers Users { get; init; }


    /// <summary>Called once per task when its terminal update has been emitted.</summary>
    public required Action<AgentTask> OnTerminal { get; init; }
}
