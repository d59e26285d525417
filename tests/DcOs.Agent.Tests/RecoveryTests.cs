using DcOs.Core;
using DcOs.Transport.Messages;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Agent.Tests;

/// <summary>Restarts inside the test process: the first agent stops without killing its tasks, the second recovers them.</summary>
public sealed class RecoveryTests : IAsyncLifetime
{
    private readonly string _workDir = TestAgent.NewWorkDir();
    private readonly List<int> _groups = [];
    private MasterDouble _master = null!;

    public async ValueTask InitializeAsync() => _master = await MasterDouble.StartTcpAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var g in _groups) Processes.KillGroup(g);
        await _master.DisposeAsync();
        TestFiles.DeleteDirectory(_workDir);
    }

    private Task<TestAgent> StartAsync(bool killOnStop = false, Action<AgentOptions>? configure = null) =>
        TestAgent.StartAsync(_master, o =>
        {
            o.KillTasksOnShutdown = killOnStop;
            configure?.Invoke(o);
        }, workDir: _workDir);

    /// <summary>Runs the tasks on a first agent, waits until they run, stops that agent and returns their process groups.</summary>
    private async Task<Dictionary<string, int>> RunThenStopAsync(params TaskSpec[] specs)
    {
        var first = await StartAsync();
        var groups = new Dictionary<string, int>();
        foreach (var spec in specs)
        {
            await _master.RunAsync("fw", spec);
            await _master.WaitForStateAsync(spec.Id.Value, TaskState.Running);
            var pgid = first.PidOf("fw", spec.Id.Value);
            groups[spec.Id.Value] = pgid;
            _groups.Add(pgid);
            await Processes.WaitUntilAsync(() => Processes.InGroup(pgid).Count >= 2, "the wrapper to start the command");
        }
        await first.StopAsync();
        return groups;
    }

    [Fact]
    public async Task A_task_whose_agent_stays_away_longer_than_the_recovery_timeout_is_ended_by_its_wrapper()
    {
        var first = await StartAsync(configure: o => o.RecoveryTimeout = TimeSpan.FromSeconds(1));
        await _master.RunAsync("fw", Tasks.Shell("left", "sleep 600"));
        await _master.WaitForStateAsync("left", TaskState.Running);
        var pgid = first.PidOf("fw", "left");
        _groups.Add(pgid);
        await Processes.WaitUntilAsync(() => Processes.InGroup(pgid).Count >= 2, "the wrapper to start the command");
        await Processes.WaitUntilAsync(() => File.Exists(Path.Combine(first.MetaDir("fw", "left"), "alive-check")), "the watchdog's first check");
        await first.StopAsync();

        // Nobody marks the agent alive any more: within two periods the wrapper ends the task and says why.
        await Processes.WaitUntilAsync(() => Processes.InGroup(pgid).Count == 0, "the orphaned task to be ended", TimeSpan.FromSeconds(30));
        Assert.Equal("1", File.ReadAllText(Path.Combine(first.MetaDir("fw", "left"), "orphaned")).Trim());

        await using var second = await StartAsync(killOnStop: true);
        var ended = (await _master.TerminalAsync("left"))[^1];
        Assert.Equal(TaskState.Failed, ended.State);
        Assert.Equal(TaskStatusReason.ExecutorTerminated, ended.Reason);
        Assert.Contains("the agent was gone longer than its recovery timeout (1 s)", ended.Message);
    }

    [Fact]
    public async Task A_task_outlives_a_short_agent_restart_within_the_recovery_timeout()
    {
        var groups = await RunThenStopAsync(Tasks.Shell("stay", "sleep 60"));
        // The default timeout (15 min) is far away: the second agent finds the task running and re-attaches.
        await using var second = await StartAsync(killOnStop: true);
        Assert.Equal(groups["stay"], second.PidOf("fw", "stay"));
        Assert.False(File.Exists(Path.Combine(second.MetaDir("fw", "stay"), "orphaned")));
    }

    [Fact]
    public async Task A_restarted_agent_reattaches_and_keeps_supervising()
    {
        var groups = await RunThenStopAsync(Tasks.Shell("keep", "sleep 60"), Tasks.Shell("done", "while [ ! -e release ]; do sleep 0.02; done"));
        Assert.True(Processes.Exists(groups["keep"]));

        await using var second = await StartAsync(killOnStop: true);
        var reregister = await _master.RegistrationAsync<ReregisterAgent>(1);
        Assert.Equal(["done", "keep"], reregister.Tasks.Select(t => t.TaskId.Value).Order());
        Assert.All(reregister.Tasks, t => Assert.Equal(TaskState.Running, t.State));
        Assert.Equal(groups["keep"], second.PidOf("fw", "keep"));

        File.WriteAllText(Path.Combine(second.Sandbox("fw", "done"), "release"), "");
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Finished], (await _master.TerminalAsync("done")).Select(u => u.State));

        await _master.KillAsync("fw", "keep");
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Killed], (await _master.TerminalAsync("keep")).Select(u => u.State));
        Assert.Empty(Processes.InGroup(groups["keep"]));
    }

    [Fact]
    public async Task Background_processes_of_a_reattached_task_end_with_it_without_cgroups()
    {
        // Plain processes, so only the process group can find what the task left behind (a cgroup would too).
        var first = await StartAsync(configure: o => o.Isolation = AgentIsolation.None);
        await _master.RunAsync("fw", Tasks.Shell("bg", "sleep 600 & echo $! > bg.pid; while [ ! -e release ]; do sleep 0.02; done"));
        await _master.WaitForStateAsync("bg", TaskState.Running);
        var sandbox = first.Sandbox("fw", "bg");
        _groups.Add(first.PidOf("fw", "bg"));
        await Processes.WaitUntilAsync(() => File.Exists(Path.Combine(sandbox, "bg.pid")) && File.ReadAllText(Path.Combine(sandbox, "bg.pid")).EndsWith('\n'), "the background pid");
        var background = int.Parse(File.ReadAllText(Path.Combine(sandbox, "bg.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await first.StopAsync();

        await using var second = await StartAsync(killOnStop: true, o => o.Isolation = AgentIsolation.None);
        await _master.RegistrationAsync<ReregisterAgent>(1);
        File.WriteAllText(Path.Combine(sandbox, "release"), "");
        Assert.Equal(TaskState.Finished, (await _master.TerminalAsync("bg"))[^1].State);
        await Processes.WaitUntilAsync(() => !Processes.Exists(background), "the background sleep to be killed with its task");
    }

    [Fact]
    public async Task A_kill_recorded_before_a_crash_is_carried_out_with_the_grace_period_it_asked_for()
    {
        // The task ignores SIGTERM and would get ten minutes; the kill asked for none. The agent "crashed" after it
        // recorded the kill and before it signalled: the next agent must SIGKILL at once.
        var groups = await RunThenStopAsync(Tasks.Shell("stubborn", "trap '' TERM; sleep 600", grace: TimeSpan.FromMinutes(10)));
        File.WriteAllText(Path.Combine(_workDir, "meta", "fw", "stubborn", "kill"), "TaskKilled\nkilled by request\n0\n");

        await using var second = await StartAsync(killOnStop: true);

        var end = (await _master.TerminalAsync("stubborn"))[^1];
        Assert.Equal(TaskState.Killed, end.State);
        Assert.Contains("killed by request", end.Message);
        Assert.Empty(Processes.InGroup(groups["stubborn"]));
    }

    [Fact]
    public async Task A_pid_now_used_by_another_process_is_not_taken_for_the_task_nor_signalled()
    {
        var groups = await RunThenStopAsync(Tasks.Shell("reused", "sleep 60"));
        Processes.KillGroup(groups["reused"]);
        await Processes.WaitUntilAsync(() => Processes.InGroup(groups["reused"]).Count == 0, "the task to be gone");
        // Stand in for the kernel giving the task's pid to another program: point the pid file at a live process
        // (a pid cannot be chosen) whose start time is not the one recorded.
        using var stranger = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            var pidFile = Path.Combine(_workDir, "meta", "fw", "reused", "pid");
            var recordedStart = ulong.Parse(File.ReadAllText(pidFile).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            File.WriteAllText(pidFile, $"{stranger.Id} {recordedStart}\n");

            await using var second = await StartAsync(killOnStop: true);

            var end = (await _master.TerminalAsync("reused"))[^1];
            Assert.Equal(TaskState.Failed, end.State);
            Assert.Equal(TaskStatusReason.ProcessLost, end.Reason);
            Assert.Equal(0, second.PidOf("fw", "reused"));
            Assert.False(stranger.HasExited, "the agent signalled a process that only shares the task's old pid");
        }
        finally
        {
            stranger.Kill();
            await stranger.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_corrupt_agent_id_file_is_recovered_from_the_update_log_and_the_tasks_stay_the_agents()
    {
        var groups = await RunThenStopAsync(Tasks.Shell("keep", "sleep 60"));
        var id = _master.AssignedId;
        File.WriteAllText(Path.Combine(_workDir, "agent.id"), "\0garbage");

        await using var second = await StartAsync(killOnStop: true);

        var reregister = await _master.RegistrationAsync<ReregisterAgent>(1);
        Assert.Equal(id, reregister.Agent!.Id);
        Assert.Equal(["keep"], reregister.Tasks.Select(t => t.TaskId.Value));
        Assert.Equal(groups["keep"], second.PidOf("fw", "keep"));
        Assert.Contains(second.Agent.RecoveryProblems, p => p.Contains("recovered from the status-update log", StringComparison.Ordinal));
        Assert.Equal(id.Value, File.ReadAllText(Path.Combine(_workDir, "agent.id")).Trim());
    }

    [Fact]
    public async Task Tasks_whose_processes_ended_while_the_agent_was_down_are_reported()
    {
        var groups = await RunThenStopAsync(
            Tasks.Shell("gone", "sleep 60"),
            Tasks.Shell("termed", "sleep 60"),
            Tasks.Shell("exits", "while [ ! -e release ]; do sleep 0.02; done; exit 4"));
        Processes.KillGroup(groups["gone"]);
        // SIGTERM to the command only (not the wrapper, which records how the command ended).
        foreach (var p in Processes.InGroup(groups["termed"]).Where(p => p != groups["termed"])) Processes.Kill(p, 15);
        File.WriteAllText(Path.Combine(_workDir, "sandboxes", "fw", "exits", "release"), "");
        await Processes.WaitUntilAsync(() => Processes.InGroup(groups["exits"]).Count == 0 && Processes.InGroup(groups["termed"]).Count == 0, "the tasks to end");

        await using var second = await StartAsync(killOnStop: true);

        var reregister = await _master.RegistrationAsync<ReregisterAgent>(1);
        Assert.All(reregister.Tasks, t => Assert.True(t.State.IsTerminal(), $"{t.TaskId} is {t.State}"));
        var gone = (await _master.TerminalAsync("gone"))[^1];
        Assert.Equal(TaskState.Failed, gone.State);
        Assert.Equal(TaskStatusReason.ProcessLost, gone.Reason);
        Assert.Contains("while the agent was down", gone.Message);
        var termed = (await _master.TerminalAsync("termed"))[^1];
        Assert.Equal(TaskState.Failed, termed.State);
        Assert.Contains("killed by signal 15 (SIGTERM) while the agent was down", termed.Message);
        var exits = (await _master.TerminalAsync("exits"))[^1];
        Assert.Equal(TaskState.Failed, exits.State);
        Assert.Contains("exited with status 4", exits.Message);
    }

    [Fact]
    public async Task A_corrupt_or_truncated_checkpoint_is_reported_and_the_rest_recovered()
    {
        var groups = await RunThenStopAsync(Tasks.Shell("corrupt", "sleep 60"), Tasks.Shell("truncated", "sleep 60"), Tasks.Shell("fine", "sleep 60"));
        File.WriteAllText(Path.Combine(_workDir, "meta", "fw", "corrupt", "task.json"), "{ not json");
        var truncated = Path.Combine(_workDir, "meta", "fw", "truncated", "task.json");
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);

        await using var second = await StartAsync(killOnStop: true);

        Assert.Equal(2, second.Agent.RecoveryProblems.Count(p => p.Contains("unreadable")));
        foreach (var id in (string[])["corrupt", "truncated"])
        {
            var end = (await _master.TerminalAsync(id))[^1];
            Assert.Equal(TaskState.Failed, end.State);
            Assert.Equal(TaskStatusReason.AgentRestarted, end.Reason);
            Assert.Contains("checkpoint is unreadable", end.Message);
            await Processes.WaitUntilAsync(() => Processes.InGroup(groups[id]).Count == 0, $"{id}'s processes to be killed");
        }
        Assert.Equal(groups["fine"], second.PidOf("fw", "fine"));
        Assert.Equal(TaskState.Running, _master.UpdatesOf("fine")[^1].State);
    }

    [Fact]
    public async Task Unacknowledged_updates_survive_a_restart_and_a_torn_log_tail_is_reported()
    {
        _master.ShouldAck = u => u.Status!.State != TaskState.Finished;
        var first = await StartAsync();
        await _master.RunAsync("fw", Tasks.Argv("short", "true"));
        await _master.TerminalAsync("short");
        var finished = _master.UniqueUpdates.Single(u => u.Status!.State == TaskState.Finished);
        await first.StopAsync();
        File.AppendAllText(Path.Combine(_workDir, "status-updates.log"), "DCU1 torn");
        _master.ShouldAck = _ => true;

        await using var second = await StartAsync(killOnStop: true);

        await _master.WaitUntilAsync(() => _master.RawUpdates.Count(u => u.Status!.UpdateId == finished.Status!.UpdateId) == 2, "the resend of FINISHED");
        Assert.Contains(second.Agent.RecoveryProblems, p => p.Contains("status-updates.log"));
        var reregister = await _master.RegistrationAsync<ReregisterAgent>(1);
        Assert.Equal(TaskState.Finished, Assert.Single(reregister.Tasks).State);
        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Finished], _master.StatesOf("short"));
    }

    [Fact]
    public async Task Sandboxes_are_collected_after_the_delay()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var agent = await TestAgent.StartAsync(_master, o => o.SandboxGcDelay = TimeSpan.FromHours(1), time);
        await _master.RunAsync("fw", Tasks.Argv("gc", "true"));
        await _master.TerminalAsync("gc");
        var task = agent.Runtime.FindTask(new FrameworkId("fw"), new TaskId("gc"))!;
        await Processes.WaitUntilAsync(() => task.GcTimer is not null, "the terminal acknowledgement to be applied");
        var sandbox = agent.Sandbox("fw", "gc");

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.True(Directory.Exists(sandbox));
        Assert.NotNull(agent.Runtime.FindTask(new FrameworkId("fw"), new TaskId("gc")));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(Directory.Exists(sandbox));
        Assert.False(Directory.Exists(agent.MetaDir("fw", "gc")));
        Assert.Null(agent.Runtime.FindTask(new FrameworkId("fw"), new TaskId("gc")));

        // The id is free again once its sandbox is gone.
        await _master.RunAsync("fw", Tasks.Argv("gc", "true"));
        await _master.WaitUntilAsync(() => _master.StatesOf("gc").Count(s => s == TaskState.Finished) == 2, "the second run");
    }
}
