using System.Collections.Concurrent;
using DcOs.Core;
using DcOs.Scheduling.Master;

namespace DcOs.SampleMaster.Api;

/// <summary>
/// The tasks' real usage, asked of every connected agent at once (an agent that does not answer is left out, named in
/// the answer), with the cpus each task used since the previous sample: the agents report cpu time, not a rate.
/// </summary>
public sealed class UsageSampler(IMaster master)
{
    private readonly ConcurrentDictionary<TaskId, (double CpuSeconds, DateTimeOffset At)> _last = new();

    /// <summary>One task's usage: cpus is null on its first sample.</summary>
    public sealed record TaskUsage(string TaskId, string AgentId, double CpuSeconds, double? Cpus, double MemMb);

    /// <summary>The usage of every task on every connected agent, and the agents that could not be asked.</summary>
    public async Task<(IReadOnlyList<TaskUsage> Tasks, IReadOnlyList<string> Unanswered)> SampleAsync()
    {
        var agents = (await master.GetAgentsAsync()).Where(a => a.Status is AgentStatus.Active or AgentStatus.Draining).ToList();
        var answers = await Task.WhenAll(agents.Select(async a =>
        {
            try
            {
                return (Agent: a.Info.Id, Usage: await master.GetTaskUsageAsync(a.Info.Id));
            }
            catch (Exception e) when (e is KeyNotFoundException or TimeoutException or InvalidOperationException or IOException)
            {
                return (Agent: a.Info.Id, Usage: (IReadOnlyList<TaskUsageView>?)null);
            }
        }));
        var tasks = new List<TaskUsage>();
        var seen = new HashSet<TaskId>();
        foreach (var (agent, usage) in answers)
        {
            foreach (var u in usage ?? [])
            {
                seen.Add(u.TaskId);
                double? cpus = null;
                if (_last.TryGetValue(u.TaskId, out var before) && u.Timestamp > before.At)
                    cpus = Math.Max(0, (u.CpuSeconds - before.CpuSeconds) / (u.Timestamp - before.At).TotalSeconds);
                _last[u.TaskId] = (u.CpuSeconds, u.Timestamp);
                tasks.Add(new TaskUsage(u.TaskId.Value, agent.Value, Math.Round(u.CpuSeconds, 3), cpus is { } c ? Math.Round(c, 3) : null, Math.Round(u.MemoryBytes / 1048576.0, 1)));
            }
        }
        // Tasks that ended are forgotten, so the samples do not grow with every task ever run.
        foreach (var gone in _last.Keys.Where(k => !seen.Contains(k)).ToList()) _last.TryRemove(gone, out _);
        return (tasks, [.. answers.Where(a => a.Usage is null).Select(a => a.Agent.Value)]);
    }
}
