using System.Diagnostics.Metrics;
using DcOs.Core;

namespace DcOs.Scheduling.Master.Internal;

/// <summary>
/// The master's instruments on the "DcOs.Master" meter: agents by status, tasks by state, frameworks by connection, the
/// resources of active agents and those their tasks hold, outstanding offers and messages waiting for slow peers
/// (gauges); the loop's work-queue depth (a gauge read off the loop); how long work waited for the loop and how long
/// allocation rounds took (histograms, seconds of real time). The master's state lives on its loop and an exporter
/// reads gauges from its own thread, so a read asks the loop for a fresh count (at most once a second) and waits for
/// it briefly: counting costs the loop only when someone reads the metrics.
/// </summary>
internal sealed class MasterMetrics : IDisposable
{
    public const string MeterName = "DcOs.Master";

    private static readonly string[] ResourceNamesShown = [ResourceNames.Cpus, ResourceNames.Mem, ResourceNames.Disk, ResourceNames.Gpus];

    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RefreshWait = TimeSpan.FromSeconds(2);

    private readonly Meter _meter;
    private readonly TimeProvider _time;
    private readonly Func<Task> _refreshOnLoop;
    private readonly Histogram<double> _loopLag;
    private readonly Histogram<double> _rounds;
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <param name="time">The master's clock (the age of a count).</param>
    /// <param name="refreshOnLoop">Runs <see cref="Refresh"/> on the master's loop.</param>
    /// <param name="factory">Where the meter comes from (DI), or null for a meter of its own.</param>
    /// <param name="queueDepth">Work items waiting for the loop (safe to read from any thread).</param>
    public MasterMetrics(TimeProvider time, Func<Task> refreshOnLoop, Func<int> queueDepth, IMeterFactory? factory = null)
    {
        _time = time;
        _refreshOnLoop = refreshOnLoop;
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("dcos.agents", () => Measure(Current().Agents, "status"), "{agent}", "Agents by status");
        _meter.CreateObservableGauge("dcos.tasks", () => Measure(Current().Tasks, "state"), "{task}", "Tasks the master tracks, by state");
        _meter.CreateObservableGauge("dcos.frameworks", () => Measure(Current().Frameworks, "connected"), "{framework}", "Frameworks by connection");
        _meter.CreateObservableGauge("dcos.resources.total", () => Measure(Current().Total, "resource"), null, "Resources of active agents");
        _meter.CreateObservableGauge("dcos.resources.used", () => Measure(Current().Used, "resource"), null, "Resources held by tasks");
        _meter.CreateObservableGauge("dcos.offers.outstanding", () => (double)Current().Offers, "{offer}", "Offers made and not yet accepted, declined or rescinded");
        _meter.CreateObservableGauge("dcos.sends.waiting", () => (double)Current().SendsWaiting, "{message}", "Messages waiting for peers whose connection queue is full");
        _meter.CreateObservableGauge("dcos.loop.queue", () => (double)queueDepth(), "{item}", "Work items waiting for the master's loop");
        _loopLag = _meter.CreateHistogram<double>("dcos.loop.lag", "s", "How long a work item waited for the master's loop");
        _rounds = _meter.CreateHistogram<double>("dcos.allocation.duration", "s", "How long an allocation round took, offers included");
    }

    /// <summary>A work item waited <paramref name="lag"/> before the loop took it.</summary>
    public void LoopLag(TimeSpan lag) => _loopLag.Record(lag.TotalSeconds);

    /// <summary>An allocation round (over every agent when <paramref name="full"/>) took <paramref name="elapsed"/>.</summary>
    public void Round(TimeSpan elapsed, bool full) => _rounds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("full", full));

    /// <summary>Counts the state anew; runs on the master's loop.</summary>
    public void Refresh(AgentTable agents, FrameworkTable frameworks, int offers, int sendsWaiting)
    {
        var byStatus = Enum.GetValues<AgentStatus>().ToDictionary(s => s.ToString(), _ => 0.0);
        var byState = new Dictionary<string, double>();
        // Summed in the resources' exact fixed point: five tasks of 0.1 cpus hold 0.5, not 0.5000000000000001.
        var total = new long[ResourceNamesShown.Length];
        var used = new long[ResourceNamesShown.Length];
        foreach (var agent in agents.All)
        {
            byStatus[agent.Status.ToString()]++;
            if (agent.Status == AgentStatus.Active)
            {
                for (var i = 0; i < ResourceNamesShown.Length; i++) total[i] += agent.Info.Resources.GetScalar(ResourceNamesShown[i]).Milli;
            }
            foreach (var task in agent.TaskList)
            {
                if (!task.HoldsResources) continue;
                for (var i = 0; i < ResourceNamesShown.Length; i++) used[i] += task.Spec.Resources.GetScalar(ResourceNamesShown[i]).Milli;
            }
        }
        var connected = 0;
        var disconnected = 0;
        foreach (var fw in frameworks.All)
        {
            if (fw.Connection is null) disconnected++;
            else connected++;
            foreach (var task in fw.Tasks.Values)
            {
                var state = task.State.MesosName();
                byState[state] = byState.GetValueOrDefault(state) + 1;
            }
        }
        _snapshot = new Snapshot(byStatus, byState, new Dictionary<string, double> { ["true"] = connected, ["false"] = disconnected }, ByName(total), ByName(used), offers, sendsWaiting, _time.GetUtcNow());
    }

    /// <summary>The latest count, refreshed first when it is older than a second (a stopped master keeps its last one).</summary>
    private Snapshot Current()
    {
        if (_time.GetUtcNow() - _snapshot.TakenAt < MaxAge) return _snapshot;
        try
        {
            _refreshOnLoop().Wait(RefreshWait);
        }
        catch (AggregateException)
        {
            // The master is stopping or stopped: report what was counted last.
        }
        return _snapshot;
    }

    public void Dispose() => _meter.Dispose();

    private static Dictionary<string, double> ByName(long[] milli)
    {
        var values = new Dictionary<string, double>();
        for (var i = 0; i < milli.Length; i++) values[ResourceNamesShown[i]] = milli[i] / (double)Scalar.Scale;
        return values;
    }

    private static IEnumerable<Measurement<double>> Measure(Dictionary<string, double> values, string tag)
    {
        foreach (var (key, value) in values) yield return new Measurement<double>(value, new KeyValuePair<string, object?>(tag, key));
    }

    private sealed record Snapshot(
        Dictionary<string, double> Agents,
        Dictionary<string, double> Tasks,
        Dictionary<string, double> Frameworks,
        Dictionary<string, double> Total,
        Dictionary<string, double> Used,
        int Offers,
        int SendsWaiting,
        DateTimeOffset TakenAt)
    {
        public static readonly Snapshot Empty = new([], [], [], [], [], 0, 0, DateTimeOffset.MinValue);
    }
}
