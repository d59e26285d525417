using System.Diagnostics;
using System.Reflection;
using System.Text;
using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Tests;

/// <summary>
/// The agent as a real process (samples/DcOs.AgentHost): SIGKILLed while tasks run, restarted on the same work
/// directory; every task is recovered and every update reaches the master exactly once per update id.
/// </summary>
public sealed class AgentProcessRecoveryTests : IAsyncLifetime
{
    private static readonly string AgentHostDll = typeof(AgentProcessRecoveryTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AgentHostDll").Value!;

    private readonly string _workDir = TestAgent.NewWorkDir();
    private readonly List<AgentProcess> _processes = [];
    private MasterDouble _master = null!;

    public async ValueTask InitializeAsync() => _master = await MasterDouble.StartTcpAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes) p.Dispose();
        // The agent leaves tasks running when it stops (by design); kill whatever the test left.
        foreach (var pidFile in Directory.Exists(Path.Combine(_workDir, "meta")) ? Directory.GetFiles(Path.Combine(_workDir, "meta"), "pid", SearchOption.AllDirectories) : [])
        {
            if (int.TryParse(File.ReadAllText(pidFile).Split(' ')[0], out var pgid)) Processes.KillGroup(pgid);
        }
        await _master.DisposeAsync();
        TestFiles.DeleteDirectory(_workDir);
    }

    private AgentProcess StartAgent()
    {
        Assert.True(File.Exists(AgentHostDll), $"{AgentHostDll} is not built");
        var p = new AgentProcess(AgentHostDll,
        [
            "--master", _master.EndPoint.ToString()!, "--work-dir", _workDir, "--cpus", "4", "--mem", "2048", "--disk", "1000", "--gpus", "0",
            "--ports", "31000-31010", "--attributes", "rack:r1", "--hostname", "agent-under-test",
        ]);
        _processes.Add(p);
        return p;
    }

    /// <summary>The task wrapper's pid (its process group), from the "pid start-time" file it writes.</summary>
    private int WrapperPid(string task) => int.Parse(File.ReadAllText(Path.Combine(_workDir, "meta", "fw", task, "pid")).Split(' ')[0]);

    private string Sandbox(string task) => Path.Combine(_workDir, "sandboxes", "fw", task);

    [Fact]
    public async Task Killing_the_agent_loses_no_task_and_no_update()
    {
        // RUNNING of "keep" is not acknowledged before the crash: the restarted agent must send it again.
        _master.ShouldAck = u => !(u.Status!.TaskId.Value == "keep" && u.Status.State == TaskState.Running && _processes.Count == 1);
        var first = StartAgent();
        var register = await _master.RegistrationAsync<RegisterAgent>();
        Assert.Equal("agent-under-test", register.Agent!.Hostname);

        var loop = "while [ ! -e release ]; do sleep 0.02; done";
        string[] ids = ["keep", "gone", "termed", "ends-while-down", "ends-after"];
        await _master.RunAsync("fw", Tasks.Shell("keep", "sleep 600"));
        await _master.RunAsync("fw", Tasks.Shell("gone", "sleep 600"));
        await _master.RunAsync("fw", Tasks.Shell("termed", "sleep 600"));
        await _master.RunAsync("fw", Tasks.Shell("ends-while-down", loop));
        await _master.RunAsync("fw", Tasks.Shell("ends-after", loop + "; exit 0"));
        foreach (var id in ids) await _master.WaitForStateAsync(id, TaskState.Running);
        // The wrapper writes its pid file just after it starts; no event says when.
        await Processes.WaitUntilAsync(() => ids.All(id => File.Exists(Path.Combine(_workDir, "meta", "fw", id, "pid"))), "the pid files");
        var groups = ids.ToDictionary(id => id, WrapperPid);
        foreach (var id in ids) await Processes.WaitUntilAsync(() => Processes.InGroup(groups[id]).Count >= 2, $"{id} to run its command");
        var keepRunning = _master.UniqueUpdates.Single(u => u.Status!.TaskId.Value == "keep" && u.Status.State == TaskState.Running);

        first.KillHard();
        Assert.All(ids, id => Assert.True(Processes.Exists(groups[id]), $"{id} died with the agent"));

        // While the agent is down: one task's processes are all killed, one's command is stopped, one finishes.
        Processes.KillGroup(groups["gone"]);
        foreach (var p in Processes.InGroup(groups["termed"]).Where(p => p != groups["termed"])) Processes.Kill(p, 15);
        File.WriteAllText(Path.Combine(Sandbox("ends-while-down"), "release"), "");
        await Processes.WaitUntilAsync(() => !Processes.Exists(groups["gone"]) && !Processes.Exists(groups["termed"]) && !Processes.Exists(groups["ends-while-down"]),
            "the three tasks to end");

        StartAgent();
        var reregister = await _master.RegistrationAsync<ReregisterAgent>(1);
        Assert.Equal(_master.AssignedId, reregister.Agent!.Id);
        var reported = reregister.Tasks.ToDictionary(t => t.TaskId.Value, t => t.State);
        Assert.Equal(TaskState.Running, reported["keep"]);
        Assert.Equal(TaskState.Running, reported["ends-after"]);
        Assert.Equal(TaskState.Failed, reported["gone"]);
        Assert.Equal(TaskState.Failed, reported["termed"]);
        Assert.Equal(TaskState.Finished, reported["ends-while-down"]);

        // The unacknowledged RUNNING comes again, same id.
        await _master.WaitUntilAsync(() => _master.RawUpdates.Count(u => u.Status!.UpdateId == keepRunning.Status!.UpdateId) >= 2, "the resend of keep's RUNNING");

        var gone = (await _master.TerminalAsync("gone"))[^1];
        Assert.Equal(TaskStatusReason.ProcessLost, gone.Reason);
        Assert.Contains("killed by signal 15 (SIGTERM)", (await _master.TerminalAsync("termed"))[^1].Message);
        Assert.Equal(TaskState.Finished, (await _master.TerminalAsync("ends-while-down"))[^1].State);

        // Still supervised: a natural exit is seen, and a kill works.
        File.WriteAllText(Path.Combine(Sandbox("ends-after"), "release"), "");
        Assert.Equal(TaskState.Finished, (await _master.TerminalAsync("ends-after"))[^1].State);
        await _master.KillAsync("fw", "keep");
        Assert.Equal(TaskState.Killed, (await _master.TerminalAsync("keep"))[^1].State);
        Assert.Empty(Processes.InGroup(groups["keep"]));

        // Exactly once per update id after deduplication, in order, nothing missing, nothing invented.
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Killed], _master.StatesOf("keep"));
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Failed], _master.StatesOf("gone"));
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Failed], _master.StatesOf("termed"));
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Finished], _master.StatesOf("ends-while-down"));
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Finished], _master.StatesOf("ends-after"));
        Assert.Equal(_master.UniqueUpdates.Count, _master.UniqueUpdates.Select(u => u.Status!.UpdateId).Distinct().Count());
        Assert.All(_master.UniqueUpdates, u => Assert.Equal(_master.AssignedId, u.Status!.AgentId));
    }

    /// <summary>A running DcOs.AgentHost; its output is kept for the failure message.</summary>
    private sealed class AgentProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        public AgentProcess(string dll, IEnumerable<string> args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            foreach (var a in args) start.ArgumentList.Add(a);
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
        }

        /// <summary>SIGKILL to the agent alone: its tasks live in their own sessions and keep running.</summary>
        public void KillHard()
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }

        /// <summary>SIGTERM, so the agent stops cleanly (and removes its cgroups); SIGKILL if it does not within 20 s.</summary>
        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Processes.Kill(_process.Id, 15);
                if (!_process.WaitForExit(TimeSpan.FromSeconds(20))) _process.Kill(entireProcessTree: false);
                _process.WaitForExit();
            }
            _process.Dispose();
        }
    }
}
