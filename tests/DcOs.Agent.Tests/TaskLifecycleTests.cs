using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Tests;

public sealed class TaskLifecycleTests : IAsyncLifetime
{
    private MasterDouble _master = null!;
    private TestAgent _agent = null!;

    public async ValueTask InitializeAsync()
    {
        _master = await MasterDouble.StartTcpAsync();
        _agent = await TestAgent.StartAsync(_master);
    }

    public async ValueTask DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _master.DisposeAsync();
    }

    [Fact]
    public async Task A_command_exiting_3_is_starting_running_then_failed_with_its_status()
    {
        await _master.RunAsync("fw1", Tasks.Shell("exit3", "exit 3"));

        var updates = await _master.TerminalAsync("exit3");

        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Failed], updates.Select(u => u.State));
        var failed = updates[^1];
        Assert.Equal(TaskStatusReason.CommandExited, failed.Reason);
        Assert.Equal(TaskStatusSource.Executor, failed.Source);
        Assert.Contains("exited with status 3", failed.Message);
        Assert.Equal(3, failed.ExitCode);
        Assert.Null(failed.Signal);
        Assert.Equal(_master.AssignedId, failed.AgentId);
        Assert.All(updates, u => Assert.NotEqual(Guid.Empty, u.UpdateId));
    }

    [Fact]
    public async Task True_as_argv_finishes()
    {
        await _master.RunAsync("fw1", Tasks.Argv("true1", "true"));

        var updates = await _master.TerminalAsync("true1");

        Assert.Equal([TaskState.Starting, TaskState.Running, TaskState.Finished], updates.Select(u => u.State));
        Assert.Contains("exited with status 0", updates[^1].Message);
        Assert.Equal(0, updates[^1].ExitCode);
        Assert.All(updates[..^1], u => Assert.Null(u.ExitCode));
    }

    [Fact]
    public async Task A_command_killed_by_a_signal_reports_the_signal_and_no_exit_code()
    {
        await _master.RunAsync("fw1", Tasks.Shell("usr1", "kill -USR1 $$"));

        var failed = (await _master.TerminalAsync("usr1"))[^1];

        Assert.Equal(TaskState.Failed, failed.State);
        Assert.Equal(10, failed.Signal);
        Assert.Null(failed.ExitCode);
        Assert.Contains("SIGUSR1", failed.Message);
    }

    [Fact]
    public async Task A_killed_sleep_is_reported_killed_and_leaves_no_process()
    {
        await _master.RunAsync("fw1", Tasks.Shell("sleeper", "sleep 60"));
        await _master.WaitForStateAsync("sleeper", TaskState.Running);
        var pgid = _agent.PidOf("fw1", "sleeper");
        Assert.True(pgid > 0);
        await Processes.WaitUntilAsync(() => Processes.InGroup(pgid).Count >= 2, "the wrapper to start sleep");

        await _master.KillAsync("fw1", "sleeper");
        var updates = await _master.TerminalAsync("sleeper");

        var killed = updates[^1];
        Assert.Equal(TaskState.Killed, killed.State);
        Assert.Equal(TaskStatusReason.TaskKilled, killed.Reason);
        Assert.Empty(Processes.InGroup(pgid));
        Assert.False(Processes.Exists(pgid));
    }

    [Fact]
    public async Task A_task_ignoring_sigterm_is_killed_with_sigkill_after_the_grace_period()
    {
        await _master.RunAsync("fw1", Tasks.Shell("stubborn", "trap '' TERM; echo ready; while true; do sleep 1; done"));
        await _master.WaitForStateAsync("stubborn", TaskState.Running);
        var pgid = _agent.PidOf("fw1", "stubborn");
        var stdout = Path.Combine(_agent.Sandbox("fw1", "stubborn"), "stdout");
        await Processes.WaitUntilAsync(() => File.Exists(stdout) && File.ReadAllText(stdout).Contains("ready"), "the trap to be set");

        await _master.KillAsync("fw1", "stubborn", graceMs: 300);
        var updates = await _master.TerminalAsync("stubborn");

        Assert.Equal(TaskState.Killed, updates[^1].State);
        Assert.Contains("SIGKILL", updates[^1].Message);
        Assert.Equal(9, updates[^1].Signal);
        Assert.Empty(Processes.InGroup(pgid));
    }

    [Fact]
    public async Task A_command_that_does_not_exist_fails_with_the_shells_message()
    {
        await _master.RunAsync("fw1", Tasks.Shell("missing", "no-such-command-dcos --flag"));
        await _master.RunAsync("fw1", Tasks.Argv("missing-argv", "/no/such/program"));

        var shell = (await _master.TerminalAsync("missing"))[^1];
        var argv = (await _master.TerminalAsync("missing-argv"))[^1];

        Assert.Equal(TaskState.Failed, shell.State);
        Assert.Contains("exited with status 127", shell.Message);
        Assert.True(shell.Message!.Contains("no-such-command-dcos: not found", StringComparison.Ordinal), shell.Message);
        Assert.Equal(TaskState.Failed, argv.State);
        Assert.Contains("/no/such/program", argv.Message);
        // The shell says "not found"; setpriv, which starts a task as another user, says "No such file or directory".
        Assert.True(argv.Message!.Contains("not found", StringComparison.Ordinal) || argv.Message.Contains("No such file or directory", StringComparison.Ordinal), argv.Message);
    }

    [Fact]
    public async Task The_environment_names_the_task_sandbox_host_and_ports()
    {
        var spec = Tasks.Shell("env1", "env", ports: "[31005-31006]", env: new Dictionary<string, string> { ["GREETING"] = "hello world" });
        await _master.RunAsync("fw1", spec);
        await _master.TerminalAsync("env1");

        var sandbox = _agent.Sandbox("fw1", "env1");
        var env = File.ReadAllLines(Path.Combine(sandbox, "stdout"));
        Assert.Contains("DCOS_TASK_ID=env1", env);
        Assert.Contains("DCOS_FRAMEWORK_ID=fw1", env);
        Assert.Contains($"DCOS_AGENT_ID={_master.AssignedId}", env);
        Assert.Contains($"DCOS_SANDBOX={sandbox}", env);
        Assert.Contains("HOST=test-host", env);
        Assert.Contains("PORT0=31005", env);
        Assert.Contains("PORT1=31006", env);
        Assert.Contains("GREETING=hello world", env);
        Assert.Contains($"PWD={sandbox}", env);
    }

    [Fact]
    public async Task Stdout_is_cut_to_the_size_limit_keeping_the_end()
    {
        await _agent.DisposeAsync();
        _agent = await TestAgent.StartAsync(_master, o => o.MaxLogFileBytes = 64 * 1024);
        await _master.RunAsync("fw1", Tasks.Shell("chatty", "head -c 1048576 /dev/zero | tr '\\0' x; echo; echo THE-END"));

        Assert.Equal(TaskState.Finished, (await _master.TerminalAsync("chatty"))[^1].State);

        var stdout = Path.Combine(_agent.Sandbox("fw1", "chatty"), "stdout");
        var size = new FileInfo(stdout).Length;
        Assert.True(size <= 64 * 1024, $"stdout is {size} bytes");
        var text = File.ReadAllText(stdout);
        Assert.StartsWith("[dcos-agent: cut the first", text);
        Assert.EndsWith("THE-END\n", text);
    }

    [Fact]
    public async Task A_launch_larger_than_the_free_resources_is_dropped_with_the_reason()
    {
        await _master.RunAsync("fw1", Tasks.Shell("huge", "true", cpus: 8));
        var huge = (await _master.TerminalAsync("huge")).Single();
        Assert.Equal(TaskState.Dropped, huge.State);
        Assert.Equal(TaskStatusReason.AgentRefused, huge.Reason);
        Assert.Equal(TaskStatusSource.Agent, huge.Source);
        Assert.Equal("needs cpus 8 but only 4 are free", huge.Message);

        await _master.RunAsync("fw1", Tasks.Shell("big", "sleep 60", cpus: 2.5));
        await _master.WaitForStateAsync("big", TaskState.Running);
        await _master.RunAsync("fw1", Tasks.Shell("second", "sleep 60", cpus: 2));
        var second = (await _master.TerminalAsync("second")).Single();
        Assert.Equal("needs cpus 2 but only 1.5 are free", second.Message);

        await _master.RunAsync("fw1", Tasks.Shell("port", "true", ports: "[40000-40000]"));
        Assert.Contains("needs ports [40000] but [40000] is not free", (await _master.TerminalAsync("port")).Single().Message);
    }

    [Fact]
    public async Task A_duplicate_launch_leaves_the_known_task_alone_and_an_invalid_task_is_dropped()
    {
        await _master.RunAsync("fw1", Tasks.Shell("dup", "sleep 60"));
        await _master.WaitForStateAsync("dup", TaskState.Running);
        var pid = _agent.PidOf("fw1", "dup");
        await _master.RunAsync("fw1", Tasks.Shell("dup", "true"));
        await _master.WaitUntilAsync(() => _master.Errors.Count > 0, "the agent's error about the duplicate");
        var error = Assert.Single(_master.Errors);
        Assert.Equal(ErrorCode.DuplicateTask, error.Code);
        Assert.Contains("already known", error.Message);
        // The running task's own update stream is untouched: no DROPPED on it, same process, still holding resources.
        Assert.Equal([TaskState.Starting, TaskState.Running], _master.StatesOf("dup"));
        Assert.Equal(pid, _agent.PidOf("fw1", "dup"));
        Assert.True(Processes.Exists(pid));
        Assert.Equal(TaskState.Running, _agent.Runtime.FindTask(new FrameworkId("fw1"), new TaskId("dup"))!.State);

        await _master.RunAsync("fw1", new TaskSpec { Id = new TaskId("invalid"), Command = CommandSpec.FromShell("true") });
        var invalid = (await _master.TerminalAsync("invalid")).Single();
        Assert.Equal(TaskState.Dropped, invalid.State);
        Assert.Equal(TaskStatusReason.TaskInvalid, invalid.Reason);
        Assert.Contains("task.resources", invalid.Message);
    }

    [Fact]
    public async Task Usage_of_a_running_task_is_reported()
    {
        await _master.RunAsync("fw1", Tasks.Shell("busy", "while true; do :; done"));
        await _master.WaitForStateAsync("busy", TaskState.Running);

        var answer = await _master.RequestAsync(new GetTaskUsage());
        var report = Assert.IsType<TaskUsageReport>(answer);
        var usage = Assert.Single(report.Tasks);
        Assert.Equal("busy", usage.TaskId.Value);
        Assert.Equal("fw1", usage.FrameworkId.Value);
        Assert.True(usage.CpuSeconds >= 0);
        Assert.True(usage.MemoryBytes > 0);
        Assert.True(usage.TimestampTicks > 0);

        var none = Assert.IsType<TaskUsageReport>(await _master.RequestAsync(new GetTaskUsage { TaskIds = [new TaskId("other")] }));
        Assert.Empty(none.Tasks);
    }

    [Fact]
    public async Task Logs_are_read_by_offset_and_from_the_end()
    {
        await _master.RunAsync("fw1", Tasks.Shell("talk", "printf 'hello\\nworld\\n'; echo oops >&2"));
        await _master.TerminalAsync("talk");

        var all = Assert.IsType<TaskLogChunk>(await _master.RequestAsync(new ReadTaskLog { FrameworkId = new FrameworkId("fw1"), TaskId = new TaskId("talk"), File = "stdout", Offset = 0, Length = 100 }));
        Assert.Equal("hello\nworld\n", all.Data);
        Assert.Equal(12, all.FileSize);
        var tail = Assert.IsType<TaskLogChunk>(await _master.RequestAsync(new ReadTaskLog { FrameworkId = new FrameworkId("fw1"), TaskId = new TaskId("talk"), File = "stdout", Offset = -6, Length = 100 }));
        Assert.Equal("world\n", tail.Data);
        Assert.Equal(6, tail.Offset);
        var stderr = Assert.IsType<TaskLogChunk>(await _master.RequestAsync(new ReadTaskLog { FrameworkId = new FrameworkId("fw1"), TaskId = new TaskId("talk"), File = "stderr" }));
        Assert.Equal("oops\n", stderr.Data);
        var unknown = Assert.IsType<ErrorMessage>(await _master.RequestAsync(new ReadTaskLog { FrameworkId = new FrameworkId("fw1"), TaskId = new TaskId("nope"), File = "stdout" }));
        Assert.Equal(ErrorCode.NotFound, unknown.Code);
    }

    [Fact]
    public async Task The_agent_answers_pings()
    {
        await _master.SendAsync(new AgentPing { Sequence = 42 });
        await _master.WaitUntilAsync(() => _master.Pongs.Contains(42), "a pong");
    }
}
