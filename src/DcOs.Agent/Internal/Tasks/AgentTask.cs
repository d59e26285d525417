using System.ComponentModel;
using System.Globalization;
using DcOs.Agent.Internal.Health;
using DcOs.Agent.Internal.Isolation;
using DcOs.Agent.Internal.Linux;
using DcOs.Core;

namespace DcOs.Agent.Internal.Tasks;

/// <summary>
/// One task on the agent, from launch (or re-attachment after a restart) to its terminal update: sandbox, cgroup,
/// the wrapped process, kill with grace period, health checks, and the final state from how the process ended.
/// </summary>
internal sealed class AgentTask
{
    private readonly TaskServices _services;
    private readonly object _sync = new();
    private readonly object _checkpointWrite = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<ExitStatus>? _exit;
    private ITimer? _killTimer;
    private bool _isChild;
    private int _terminalReported;

    public AgentTask(TaskServices services, FrameworkId framework, TaskSpec spec, TaskCheckpoint checkpoint)
    {
        _services = services;
        Framework = framework;
        Spec = spec;
        Checkpoint = checkpoint;
        Sandbox = services.Paths.SandboxDir(framework, spec.Id);
        MetaDir = services.Paths.MetaDir(framework, spec.Id);
        if (checkpoint.Cgroups.Count > 0) Cgroup = new TaskCgroup(checkpoint.Cgroups);
    }

    public FrameworkId Framework { get; }

    public TaskId Id => Spec.Id;

    public TaskSpec Spec { get; }

    public TaskCheckpoint Checkpoint { get; }

    public string Sandbox { get; }

    public string MetaDir { get; }

    public TaskCgroup? Cgroup { get; private set; }

    /// <summary>The latest state this agent reported for the task.</summary>
    public TaskState State { get; private set; } = TaskState.Staging;

    public bool? Healthy { get; private set; }

    /// <summary>The wrapper's pid, which is also the task's process group id; 0 before it starts.</summary>
    public int Pid { get; private set; }

    /// <summary>Whether the task holds its resources (not terminal yet).</summary>
    public bool IsActive => !State.IsTerminal();

    /// <summary>Completes once the task's terminal update has been emitted.</summary>
    public Task Completion => _completion.Task;

    /// <summary>When the task ended (its terminal update's time); the sandbox's collection delay counts from here.</summary>
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>Whether the agent counts the task's resources as used (set and cleared by the agent under its lock).</summary>
    public bool HoldsResources { get; set; }

    /// <summary>When the sandbox may be collected, once the terminal update is acknowledged.</summary>
    public ITimer? GcTimer { get; set; }

    /// <summary>Restores the state last reported (recovery).</summary>
    public void RestoreState(TaskState state, bool? healthy, DateTimeOffset? since)
    {
        State = state;
        Healthy = healthy;
        if (state.IsTerminal()) CompletedAt = since;
        if (state.IsTerminal()) MarkTerminal();
    }

    /// <summary>Launches a new task: sandbox, checkpoint, STARTING, cgroup, process, RUNNING, then waits for it to end.</summary>
    public async Task LaunchAsync()
    {
        try
        {
            var (account, userProblem) = _services.Users.Resolve(Spec.Command.User);
            if (account is null)
            {
                Checkpoint.SaveSpec(MetaDirCreated());
                await FinishAsync(TaskState.Failed, TaskStatusReason.ContainerLaunchFailed, userProblem ?? "no account to run the task as", TaskStatusSource.Agent).ConfigureAwait(false);
                return;
            }
            try
            {
                CreateSandbox(account);
                Directory.CreateDirectory(MetaDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await FinishAsync(TaskState.Failed, TaskStatusReason.ContainerLaunchFailed, "could not create the sandbox: " + e.Message, TaskStatusSource.Agent).ConfigureAwait(false);
                return;
            }
            string? cgroupError = null;
            if (_services.Cgroups is { } cgroups)
            {
                try
                {
                    Cgroup = cgroups.Create(Cgroups.TaskName(Framework, Id), Spec.Resources);
                    Checkpoint.Cgroups = [.. Cgroup.Directories];
                }
                catch (IOException e)
                {
                    cgroupError = e.Message;
                }
            }
            // The spec is on disk before the first update: a restarted agent can always tell what a task was.
            Checkpoint.SaveSpec(MetaDir);
            Emit(TaskState.Starting, TaskStatusReason.None, null, TaskStatusSource.Executor);
            if (cgroupError is not null)
            {
                await FinishAsync(TaskState.Failed, TaskStatusReason.ContainerLaunchFailed, cgroupError, TaskStatusSource.Agent).ConfigureAwait(false);
                return;
            }
            if (IsKillRequested)
            {
                await FinishAsync(TaskState.Killed, Checkpoint.KillReason, (Checkpoint.KillMessage ?? "killed") + " before it started", TaskStatusSource.Executor).ConfigureAwait(false);
                return;
            }
            int pid;
            try
            {
                var watch = string.Create(CultureInfo.InvariantCulture, $"{_services.Paths.AliveFile} {Math.Max(1, (long)_services.Options.RecoveryTimeout.TotalSeconds)}");
                var argv = TaskWrapper.TaskArgv(Spec.Command, MetaDir, Sandbox, Cgroup?.ProcsFiles ?? [], SwitchTo(account), watch);
                var env = TaskWrapper.Environment(_services.BaseEnvironment, Framework, Spec, _services.AgentId(), Sandbox, _services.Hostname, _services.HasGpus, UserEnvironment(account));
                pid = ProcessSpawner.Spawn(TaskWrapper.Shell, argv, env,
                    Path.Combine(Sandbox, AgentPaths.StdoutFile), Path.Combine(Sandbox, AgentPaths.StderrFile));
            }
            catch (Win32Exception e)
            {
                await FinishAsync(TaskState.Failed, TaskStatusReason.CommandFailedToStart, e.Message, TaskStatusSource.Agent).ConfigureAwait(false);
                return;
            }
            _isChild = true;
            _exit = _services.Reaper.WatchChild(pid, killGroupOnExit: true);
            Checkpoint.Pid = pid;
            lock (_sync) Pid = pid;
            AgentLog.TaskStarted(_services.Logger, Framework.Value, Id.Value, pid);
            Emit(TaskState.Running, TaskStatusReason.None, null, TaskStatusSource.Executor);
            StartHealthChecks(Checkpoint.LaunchedAt);
            lock (_sync)
            {
                if (IsKillRequested) SignalLocked(Checkpoint.KillGrace ?? Spec.KillGracePeriod);
            }
            var status = await _exit.ConfigureAwait(false);
            await EndAsync(status).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            AgentLog.TaskCrashed(_services.Logger, e, Framework.Value, Id.Value);
            await FinishAsync(TaskState.Failed, TaskStatusReason.ContainerLaunchFailed, "agent error: " + e.Message, TaskStatusSource.Agent).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The agent is stopping without killing its tasks; the next agent re-attaches.
        }
    }

    /// <summary>Re-attaches to a task still running after an agent restart: supervises it until it ends.</summary>
    public async Task ResumeAsync(int pid, ulong startTime)
    {
        try
        {
            lock (_sync) Pid = pid;
            _exit = _services.Reaper.WatchForeign(pid, startTime);
            AgentLog.TaskReattached(_services.Logger, Framework.Value, Id.Value, pid);
            if (State != TaskState.Running) Emit(TaskState.Running, TaskStatusReason.None, "re-attached after an agent restart", TaskStatusSource.Executor);
            StartHealthChecks(Checkpoint.LaunchedAt);
            lock (_sync)
            {
                if (IsKillRequested) SignalLocked(Checkpoint.KillGrace ?? Spec.KillGracePeriod);
            }
            var status = await _exit.ConfigureAwait(false);
            await EndAsync(status).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            AgentLog.TaskCrashed(_services.Logger, e, Framework.Value, Id.Value);
            await FinishAsync(TaskState.Failed, TaskStatusReason.ExecutorTerminated, "agent error: " + e.Message, TaskStatusSource.Agent).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>A task whose process ended while the agent was down: report how, from the wrapper's exit file.</summary>
    public Task EndWhileDownAsync() => EndAsync(ExitStatus.Unknown, whileDown: true);

    /// <summary>SIGTERM to the task's process group, SIGKILL after <paramref name="grace"/>; the end is reported as KILLED.</summary>
    public void Kill(TimeSpan grace, TaskStatusReason reason, string message)
    {
        lock (_sync)
        {
            if (State.IsTerminal() || Checkpoint.KillRequested) return;
            Checkpoint.KillRequested = true;
            Checkpoint.KillReason = reason;
            Checkpoint.KillMessage = message;
            // Kept for a launch or a re-attachment that signals later (the kill came before the pid was known).
            Checkpoint.KillGrace = grace;
            TrySave(Checkpoint.SaveKill);
            if (Pid != 0) SignalLocked(grace);
        }
    }

    /// <summary>The agent is stopping and leaves the task running: stop checking its health.</summary>
    public void Detach() => _lifetime.Cancel();

    public (double CpuSeconds, long MemoryBytes)? Usage(Dictionary<int, (double Cpu, long Mem)>? groups)
    {
        if (Pid == 0 || !IsActive) return null;
        (double CpuSeconds, long MemoryBytes) group = groups is not null && groups.TryGetValue(Pid, out var g) ? g : ProcFs.GroupUsage(Pid);
        if (Cgroup is null || _services.Cgroups?.Usage(Cgroup) is not { } fromCgroup) return group;
        // Just after launch the wrapper may not have joined its cgroup yet: its process group still tells its memory.
        return (Math.Max(fromCgroup.CpuSeconds, group.CpuSeconds), fromCgroup.MemoryBytes > 0 ? fromCgroup.MemoryBytes : group.MemoryBytes);
    }

    /// <summary>Cuts stdout and stderr to the configured size when they have grown past it.</summary>
    public void CapLogs()
    {
        foreach (var name in (string[])[AgentPaths.StdoutFile, AgentPaths.StderrFile])
        {
            var path = Path.Combine(Sandbox, name);
            try
            {
                var cut = TaskLogFiles.Cap(path, _services.Options.MaxLogFileBytes);
                if (cut > 0) AgentLog.LogCut(_services.Logger, path, cut);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The sandbox may be gone already; nothing to cap.
            }
        }
    }

    private bool IsKillRequested => Checkpoint.KillRequested;

    // Called under _sync.
    private void SignalLocked(TimeSpan grace)
    {
        if (Pid == 0 || _exit is null || _exit.IsCompleted) return;
        if (grace <= TimeSpan.Zero)
        {
            LibC.kill(-Pid, LibC.SIGKILL);
            return;
        }
        LibC.kill(-Pid, LibC.SIGTERM);
        _killTimer = _services.Time.CreateTimer(static s =>
        {
            var task = (AgentTask)s!;
            lock (task._sync)
            {
                if (task._exit is { IsCompleted: false }) LibC.kill(-task.Pid, LibC.SIGKILL);
            }
        }, this, grace, Timeout.InfiniteTimeSpan);
    }

    private void StartHealthChecks(DateTimeOffset started)
    {
        if (Spec.HealthCheck is null) return;
        var checker = new HealthChecker(Spec, _services.Time, RunCheckCommandAsync);
        var token = _lifetime.Token;
        _ = Task.Run(async () =>
        {
            try
            {
                await checker.RunAsync(started, OnHealthChanged, OnUnhealthy, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The task ended or the agent stops.
            }
            catch (Exception e)
            {
                // A check that cannot even run (no process could be started...) ends the checks, never the agent.
                AgentLog.BackgroundFailed(_services.Logger, e, $"health checks of task {Id} of framework {Framework} stopped");
            }
        }, CancellationToken.None);
    }

    private Task<(bool Ok, string Detail)> RunCheckCommandAsync(CommandSpec command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A check runs as the task's user; if that account is gone since launch, the check fails rather than run as the agent.
        var (account, problem) = _services.Users.Resolve(Spec.Command.User);
        if (account is null) return Task.FromResult((false, problem ?? "no account"));
        var argv = TaskWrapper.CheckArgv(command, Sandbox, Cgroup?.ProcsFiles ?? [], SwitchTo(account));
        var extra = new Dictionary<string, string>(UserEnvironment(account) ?? new Dictionary<string, string>());
        foreach (var (name, value) in command.Environment) extra[name] = value;
        var env = TaskWrapper.Environment(_services.BaseEnvironment, Framework, Spec, _services.AgentId(), Sandbox, _services.Hostname, _services.HasGpus, extra);
        return HealthChecker.RunCommandAsync(_services.Reaper, _services.Time, argv, env, timeout, cancellationToken);
    }

    /// <summary>The wrapper's "setpriv uid:gid" argument, or null when the task runs as the agent's own account.</summary>
    private string? SwitchTo(Linux.UserAccount account) =>
        _services.Users.Switches(account) ? $"{_services.Users.SetPriv} {account.Ids}:{(_services.Users.HasSupplementaryGroups(account) ? "init" : "clear")}" : null;

    /// <summary>
    /// USER, LOGNAME, HOME (the sandbox) and PATH of a task that runs as another account than the agent's. PATH keeps
    /// only the agent's directories that everyone may search: a root-only one (/root/.dotnet) would make every missing
    /// command "Permission denied" instead of "not found".
    /// </summary>
    private Dictionary<string, string>? UserEnvironment(Linux.UserAccount account)
    {
        if (!_services.Users.Switches(account)) return null;
        return new() { ["USER"] = account.Name, ["LOGNAME"] = account.Name, ["HOME"] = Sandbox, ["PATH"] = _services.Users.SearchablePath(_services.BaseEnvironment) };
    }

    /// <summary>The sandbox, owned by the task's account and closed to everyone else (mode 0700).</summary>
    private void CreateSandbox(Linux.UserAccount account)
    {
        Directory.CreateDirectory(Sandbox);
        if (OperatingSystem.IsWindows()) return;
        var frameworkDir = Path.GetDirectoryName(Sandbox)!;
        File.SetUnixFileMode(frameworkDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        if (_services.Users.Switches(account) && Linux.LibC.chown(Sandbox, account.Uid, account.Gid) != 0)
            throw new IOException($"could not give the sandbox to user '{account.Name}': {Linux.LibC.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
        File.SetUnixFileMode(Sandbox, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string MetaDirCreated()
    {
        Directory.CreateDirectory(MetaDir);
        return MetaDir;
    }

    private void OnHealthChanged(bool healthy, string detail)
    {
        lock (_sync)
        {
            if (State != TaskState.Running) return;
            Healthy = healthy;
        }
        AgentLog.HealthChanged(_services.Logger, Framework.Value, Id.Value, healthy ? "healthy" : "unhealthy", detail);
        Emit(TaskState.Running, TaskStatusReason.TaskHealthCheckStatusUpdated, detail, TaskStatusSource.Executor);
    }

    private void OnUnhealthy(string reason) => Kill(Spec.KillGracePeriod, TaskStatusReason.TaskUnhealthy, reason);

    /// <summary>The process ended (or, after a restart, is found gone): works out the terminal state and reports it.</summary>
    private async Task EndAsync(ExitStatus status, bool whileDown = false)
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        lock (_sync) _killTimer?.Dispose();
        if (!_isChild)
        {
            // Not our child: nobody killed the group when the wrapper ended (a running agent does, just before it
            // reaps its own children), so background processes of the task would outlive it.
            ProcFs.KillGroupOfGoneLeader(Pid != 0 ? Pid : Checkpoint.Pid, Checkpoint.StartTime);
            // The wrapper's exit file is the only record of how the command ended.
            var exitFile = _services.Paths.ExitFile(Framework, Id);
            status = File.Exists(exitFile) && ExitStatus.TryParseShellStatus(ReadSmall(exitFile), out var recorded) ? recorded : ExitStatus.Unknown;
        }
        else if (status.Code is { } code)
        {
            // The wrapper exits with the command's shell status ("$?"): 128 + n means signal n.
            status = ExitStatus.FromShellStatus(code);
        }
        CapLogs();
        var oom = Cgroup is not null && _services.Cgroups is { } cgroups && cgroups.WasOomKilled(Cgroup);
        var (state, reason, message, source) = Decide(status, oom, whileDown);
        await FinishAsync(state, reason, message, source, status).ConfigureAwait(false);
    }

    private (TaskState, TaskStatusReason, string, TaskStatusSource) Decide(ExitStatus status, bool oom, bool whileDown)
    {
        var suffix = whileDown ? " while the agent was down" : "";
        if (whileDown && File.Exists(_services.Paths.OrphanedFile(Framework, Id)))
        {
            var seconds = ReadSmall(_services.Paths.OrphanedFile(Framework, Id))?.Trim() ?? "?";
            return (TaskState.Failed, TaskStatusReason.ExecutorTerminated,
                $"ended by its wrapper: the agent was gone longer than its recovery timeout ({seconds} s) ({status.Describe()})", TaskStatusSource.Executor);
        }
        if (Checkpoint.KillRequested)
            return (TaskState.Killed, Checkpoint.KillReason, $"{Checkpoint.KillMessage} ({status.Describe()})", TaskStatusSource.Executor);
        if (oom)
        {
            return (TaskState.Failed, TaskStatusReason.ContainerLimitationMemory,
                string.Create(CultureInfo.InvariantCulture, $"memory limit of {Spec.Resources.MemMb:0.###} MiB exceeded: the kernel's OOM killer stopped the task ({status.Describe()}){suffix}"),
                TaskStatusSource.Executor);
        }
        if (status.IsSuccess) return (TaskState.Finished, TaskStatusReason.CommandExited, status.Describe() + suffix, TaskStatusSource.Executor);
        if (status.IsKnown)
        {
            var tail = TaskLogFiles.Tail(Path.Combine(Sandbox, AgentPaths.StderrFile));
            return (TaskState.Failed, TaskStatusReason.CommandExited, status.Describe() + suffix + (tail.Length > 0 ? ": " + tail : ""), TaskStatusSource.Executor);
        }
        var pid = Pid != 0 ? Pid : Checkpoint.Pid;
        if (pid == 0 && !File.Exists(_services.Paths.PidFile(Framework, Id)))
            return (TaskState.Failed, TaskStatusReason.AgentRestarted, "the agent restarted before the task's process started", TaskStatusSource.Agent);
        return (TaskState.Failed, TaskStatusReason.ProcessLost,
            string.Create(CultureInfo.InvariantCulture, $"the task's process (pid {pid}) disappeared{suffix} and left no exit status"), TaskStatusSource.Agent);
    }

    private async Task FinishAsync(TaskState state, TaskStatusReason reason, string message, TaskStatusSource source, ExitStatus exit = default)
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (Cgroup is not null && _services.Cgroups is { } cgroups)
        {
            foreach (var left in await cgroups.DestroyAsync(Cgroup).ConfigureAwait(false)) AgentLog.CgroupLeft(_services.Logger, left);
        }
        CompletedAt = _services.Time.GetUtcNow();
        Emit(state, reason, message, source, exit);
        AgentLog.TaskEnded(_services.Logger, Framework.Value, Id.Value, state.MesosName(), message);
        MarkTerminal();
    }

    private void MarkTerminal()
    {
        if (Interlocked.Exchange(ref _terminalReported, 1) != 0) return;
        _services.OnTerminal(this);
        _completion.TrySetResult();
    }

    private void Emit(TaskState state, TaskStatusReason reason, string? message, TaskStatusSource source, ExitStatus exit = default)
    {
        lock (_sync)
        {
            if (State.IsTerminal()) return;
            State = state;
            _services.Updates.Emit(Framework, new TaskStatusUpdate
            {
                TaskId = Id,
                State = state,
                Reason = reason,
                Source = source,
                Message = message,
                ExitCode = exit.Code,
                Signal = exit.Signal,
                Timestamp = _services.Time.GetUtcNow(),
                UpdateId = Guid.NewGuid(),
                Healthy = Healthy,
                AgentId = _services.AgentId(),
            });
        }
    }

    private void TrySave(Action<string> save)
    {
        try
        {
            lock (_checkpointWrite) save(MetaDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The meta directory may not exist (launch failed early); the update log still records the state.
        }
    }

    private static string? ReadSmall(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
