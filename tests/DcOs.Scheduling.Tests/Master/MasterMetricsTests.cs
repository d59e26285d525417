using System.Diagnostics.Metrics;
using DcOs.Core;
using Microsoft.Extensions.DependencyInjection;

namespace DcOs.Scheduling.Tests.Master;

/// <summary>The master's gauges, read the way an exporter reads them: through a MeterListener on its own meters.</summary>
public sealed class MasterMetricsTests
{
    [Fact]
    public async Task The_gauges_count_agents_tasks_frameworks_and_resources_in_exact_amounts()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        await using var h = new MasterHarness(meters: meters);
        await h.StartAsync();
        var fw = await h.AddFrameworkAsync("f");
        var agent = await h.AddAgentAsync("cpus:2;mem:1024");
        await h.AddAgentAsync("cpus:4;mem:2048");
        var offer = await fw.NextOfferAsync();
        await fw.Driver.AcceptAsync([offer.Id], [TaskLifecycleTests.Task("a", "cpus:0.1;mem:32"), TaskLifecycleTests.Task("b", "cpus:0.1;mem:32"), TaskLifecycleTests.Task("c", "cpus:0.1;mem:32")]);
        for (var i = 0; i < 3; i++)
        {
            var run = await agent.NextLaunchAsync();
            await agent.SendStatusAsync(run.FrameworkId, run.Task!.Id, TaskState.Running);
            // The master forwards an update only once it has recorded it.
            Assert.Equal(TaskState.Running, (await fw.NextUpdateAsync(run.Task.Id)).State);
        }

        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            seen[$"{instrument.Name}{{{string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))}}}"] = value);
        listener.Start();
        await Task.Run(listener.RecordObservableInstruments);

        Assert.Equal(2, seen["dcos.agents{status=Active}"]);
        Assert.Equal(0, seen["dcos.agents{status=Unreachable}"]);
        Assert.Equal(3, seen["dcos.tasks{state=TASK_RUNNING}"]);
        Assert.Equal(1, seen["dcos.frameworks{connected=true}"]);
        Assert.Equal(6, seen["dcos.resources.total{resource=cpus}"]);
        Assert.Equal(0.3, seen["dcos.resources.used{resource=cpus}"]);
        Assert.Equal(96, seen["dcos.resources.used{resource=mem}"]);
        // The accepted offer is gone; the second agent's is still out. Nothing waits for a slow peer.
        Assert.Equal(1, seen["dcos.offers.outstanding{}"]);
        Assert.Equal(0, seen["dcos.sends.waiting{}"]);
        Assert.True(seen.ContainsKey("dcos.loop.queue{}"));
    }

    [Fact]
    public async Task Loop_lag_and_allocation_rounds_are_recorded_as_they_happen()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        await using var h = new MasterHarness(meters: meters);
        await h.StartAsync();
        var recorded = new System.Collections.Concurrent.ConcurrentBag<(string Name, double Value, string Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument is Histogram<double>) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            recorded.Add((instrument.Name, value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.Start();

        var fw = await h.AddFrameworkAsync("f");
        await h.AddAgentAsync("cpus:2;mem:1024");
        await fw.NextOfferAsync();

        Assert.Contains(recorded, r => r.Name == "dcos.loop.lag" && r.Value >= 0);
        Assert.Contains(recorded, r => r.Name == "dcos.allocation.duration" && r.Value >= 0 && r.Tags == "full=True");
        Assert.DoesNotContain(recorded, r => r.Value < 0 || !double.IsFinite(r.Value));
    }
}
