using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using DcOs.Core;
using DcOs.IntegrationTests.SampleMaster;
using DcOs.Framework;
using DcOs.Scheduling.Master;
using DcOs.Scheduling.Master.Internal;
using DcOs.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.IntegrationTests.AgentCrash;

/// <summary>
/// The whole path, each part as users run it: a master engine on loopback TCP, a framework on the SDK, and the agent as
/// its own process (samples/DcOs.AgentHost). The agent is SIGKILLed while its tasks run and restarted on the same work
/// directory; the framework sees every task through to its true end and every update exactly once.
/// </summary>
public sealed class AgentCrashTests : IDisposable
{
    private const string Loop = "while [ ! -e release ]; do sleep 0.02; done";
    private readonly string _workDir = Directory.CreateTempSubdirectory("dcos-agent-crash-").FullName;
    private readonly List<Process> _agents = [];

    public void Dispose()
    {
        foreach (var agent in _agents)
        {
            if (!agent.HasExited)
            {
                _ = Posix.Kill(agent.Id, Posix.SigTerm);
                if (!agent.WaitForExit(TimeSpan.FromSeconds(20))) agent.Kill();
            }
            agent.Dispose();
        }
        // The agent leaves tasks running when it stops (as Mesos does): kill every task group the test started.
        foreach (var task in Directory.Exists(Path.Combine(_workDir, "meta")) ? Directory.GetFiles(Path.Combine(_workDir, "meta"), "pid", SearchOption.AllDirectories) : [])
        {
            if (int.TryParse(File.ReadAllText(task).Split(' ')[0], out var group) && group > 0) _ = Posix.Kill(-group, Posix.SigKill);
        }
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory.
        }
    }

    [Fact]
    public async Task A_sigkilled_agent_is_restarted_and_the_framework_sees_every_task_end_and_every_update_once()
    {
        var transport = DcOsTransports.CreateTcp();
        await using var master = new MasterEngine(new MasterOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, transport,
            MasterStores.InMemory(), TimeProvider.System, NullLoggerFactory.Instance);
        await master.StartAsync();
        StartAgent(master.LocalEndPoint!);

        var scheduler = new RecordingScheduler(
            Spec("keep", "sleep 600"), Spec("gone", "sleep 600"), Spec("ends-while-down", Loop), Spec("ends-after", Loop + "; exit 0"));
        await using var framework = DcOsFramework.Create(transport,
            new FrameworkOptions { Master = master.LocalEndPoint!, Framework = new FrameworkInfo { Name = "crash-test" } }, scheduler);
        await framework.StartAsync();
        string[] ids = ["keep", "gone", "ends-while-down", "ends-after"];
        foreach (var id in ids) await scheduler.WaitForAsync(id, TaskState.Running);
        var frameworkId = scheduler.FrameworkId;
        var groups = new Dictionary<string, int>();
        foreach (var id in ids)
        {
            var pidFile = Path.Combine(_workDir, "meta", frameworkId.Value, id, "pid");
            await Eventually(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), $"{id}'s pid file");
            groups[id] = int.Parse(File.ReadAllText(pidFile).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }

        // SIGKILL: the agent alone; its tasks live in their own sessions and keep running.
        _agents[0].Kill(entireProcessTree: false);
        await _agents[0].WaitForExitAsync();
        Assert.All(ids, id => Assert.True(Exists(groups[id]), $"{id} died with the agent"));
        // While it is down: one task is killed outright, one finishes.
        _ = Posix.Kill(-groups["gone"], Posix.SigKill);
        File.WriteAllText(Path.Combine(_workDir, "sandboxes", frameworkId.Value, "ends-while-down", "release"), "");
        await Eventually(() => !Exists(groups["gone"]) && !Exists(groups["ends-while-down"]), "the two tasks to end while the agent is down");

        StartAgent(master.LocalEndPoint!);
        Assert.Equal(TaskState.Finished, (await scheduler.WaitForAsync("ends-while-down", TaskState.Finished)).State);
        var gone = await scheduler.WaitForAsync("gone", TaskState.Failed);
        Assert.Equal(TaskStatusReason.ProcessLost, gone.Reason);

        // The re-attached tasks are still supervised: a natural end is seen, and a kill works.
        File.WriteAllText(Path.Combine(_workDir, "sandboxes", frameworkId.Value, "ends-after", "release"), "");
        await scheduler.WaitForAsync("ends-after", TaskState.Finished);
        await framework.KillTaskAsync(new TaskId("keep"));
        await scheduler.WaitForAsync("keep", TaskState.Killed);
        Assert.False(Exists(groups["keep"]));

        // Exactly once per update id, in order, nothing missing and nothing invented.
        foreach (var id in ids)
        {
            var updates = scheduler.UpdatesOf(id);
            Assert.Equal(updates.Count, updates.Select(u => u.UpdateId).Distinct().Count());
            Assert.Equal(TaskState.Running, updates.Single(u => u.State == TaskState.Running).State);
            Assert.Single(updates, u => u.State.IsTerminal());
            Assert.True(updates[^1].State.IsTerminal(), $"{id}: {string.Join(", ", updates.Select(u => u.State))}");
        }
    }

    private static TaskSpec Spec(string id, string shell) => new()
    {
        Id = new TaskId(id),
        Command = CommandSpec.FromShell(shell),
        Resources = Resources.Parse("cpus:0.1;mem:32"),
    };

    private void StartAgent(EndPoint master)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = false, RedirectStandardError = false, UseShellExecute = false };
        foreach (var a in (string[])[SampleCluster.Program("DcOs.AgentHost"), "--master", master.ToString()!, "--work-dir", _workDir,
            "--cpus", "2", "--mem", "1024", "--disk", "1000", "--gpus", "0", "--ports", "31000-31010", "--hostname", "crash-agent"])
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        _agents.Add(Process.Start(start)!);
    }

    private static bool Exists(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>For what only /proc or the file system shows (no event says when a process is gone): short polls, one overall timeout.</summary>
    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>Launches its tasks on the first offer that holds them all; records every update it is given.</summary>
    private sealed class RecordingScheduler(params TaskSpec[] tasks) : FrameworkScheduler
    {
        private readonly ConcurrentDictionary<string, List<TaskStatusUpdate>> _updates = new();
        private readonly object _changedLock = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _launched;

        public FrameworkId FrameworkId { get; private set; }

        public override Task SubscribedAsync(IFrameworkDriver driver, FrameworkId frameworkId, bool reconnected)
        {
            FrameworkId = frameworkId;
            return Task.CompletedTask;
        }

        public override async Task OffersAsync(IFrameworkDriver driver, IReadOnlyList<Offer> offers)
        {
            foreach (var offer in offers)
            {
                if (Interlocked.CompareExchange(ref _launched, 1, 0) == 0) await driver.AcceptAsync([offer.Id], tasks, new Filters(0));
                else await driver.DeclineAsync([offer.Id], new Filters(60));
            }
        }

        public override Task StatusUpdateAsync(IFrameworkDriver driver, TaskStatusUpdate status)
        {
            var list = _updates.GetOrAdd(status.TaskId.Value, _ => []);
            lock (list) list.Add(status);
            lock (_changedLock)
            {
                _changed.TrySetResult();
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return Task.CompletedTask;
        }

        public List<TaskStatusUpdate> UpdatesOf(string task)
        {
            var list = _updates.GetOrAdd(task, _ => []);
            lock (list) return [.. list];
        }

        /// <summary>The first update of <paramref name="task"/> in <paramref name="state"/>, waiting on arrivals (60 s at most).</summary>
        public async Task<TaskStatusUpdate> WaitForAsync(string task, TaskState state)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                Task changed;
                lock (_changedLock) changed = _changed.Task;
                if (UpdatesOf(task).FirstOrDefault(u => u.State == state) is { } found) return found;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) throw new TimeoutException($"{task} never reached {state}; it went {string.Join(", ", UpdatesOf(task).Select(u => u.State))}");
                await Task.WhenAny(changed, Task.Delay(left));
            }
        }
    }
}
