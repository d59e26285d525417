using System.Globalization;
using DcOs.Agent.Internal.Isolation;
using DcOs.Agent.Internal.Linux;
using DcOs.Agent.Internal.Tasks;
using DcOs.Core;

namespace DcOs.Agent.Internal;

/// <summary>Recovery of the work directory when the agent starts.</summary>
internal sealed partial class AgentRuntime
{
    /// <summary>
    /// Rebuilds the task table from the checkpoints and the update log: tasks whose process still runs (same pid, same
    /// start time, same boot) are re-attached; tasks whose process ended meanwhile are reported from the wrapper's exit
    /// file; what cannot be read is reported as a problem and, where the task is identifiable, as a failed task.
    /// </summary>
    private List<Task> Recover(AgentPaths paths)
    {
        var settling = new List<Task>();
        int running = 0, ended = 0;
        var withCheckpoint = new HashSet<(FrameworkId, TaskId)>();
        foreach (var frameworkDir in SafeDirectories(paths.Meta))
        {
            if (!FrameworkId.TryParse(Path.GetFileName(frameworkDir), out var framework))
            {
                AddProblem($"{frameworkDir} is not named after a framework id; ignored");
                continue;
            }
            foreach (var taskDir in SafeDirectories(frameworkDir))
            {
                if (!TaskId.TryParse(Path.GetFileName(taskDir), out var id))
                {
                    AddProblem($"{taskDir} is not named after a task id; ignored");
                    continue;
                }
                withCheckpoint.Add((framework, id));
                switch (RecoverTask(paths, framework, id, settling))
                {
                    case RecoveryOutcome.Running: running++; break;
                    case RecoveryOutcome.Ended: ended++; break;
                }
            }
        }
        // Streams without a checkpoint: refused launches (terminal) just finish delivering; anything else lost its record.
        foreach (var s in _updates!.Streams())
        {
            if (withCheckpoint.Contains((s.Framework, s.Task))) continue;
            if (!s.Latest.State.IsTerminal())
            {
                AddProblem($"task {s.Task} of framework {s.Framework} has updates but no checkpoint; reported as failed");
                EmitRecoveryFailure(s.Framework, s.Task, TaskStatusReason.AgentRestarted, "the agent restarted and the task's checkpoint was missing");
            }
            else if (!s.Pending)
            {
                _updates.Forget(s.Framework, s.Task);
            }
        }
        AgentLog.Recovered(_logger, running, ended, _updates.Streams().Count(s => s.Pending));
        return settling;
    }

    private enum RecoveryOutcome
    {
        Running,
        Ended,
        Other,
    }

    private RecoveryOutcome RecoverTask(AgentPaths paths, FrameworkId framework, TaskId id, List<Task> settling)
    {
        var latest = _updates!.Latest(framework, id);
        TaskCheckpoint checkpoint;
        TaskSpec spec;
        var file = paths.CheckpointFile(framework, id);
        try
        {
            var problems = new List<string>();
            checkpoint = TaskCheckpoint.Load(paths.MetaDir(framework, id), problems);
            foreach (var p in problems) AddProblem(p);
            spec = checkpoint.ReadSpec();
            if (checkpoint.TaskId != id.Value || checkpoint.FrameworkId != framework.Value || spec.Id != id)
                throw new InvalidDataException($"it describes task {checkpoint.TaskId} of framework {checkpoint.FrameworkId}");
        }
        catch (FileNotFoundException) when (latest is null && FindByPidFile(paths, framework, id) == 0)
        {
            // The agent stopped between creating the directory and writing the spec: nothing was started or reported.
            DestroyCgroupByName(framework, id);
            lock (_lock) _cleanups.Add(Task.Run(() => DeleteTaskDirectories(framework, id)));
            return RecoveryOutcome.Other;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            RecoverUnreadable(paths, framework, id, latest, file, e);
            return RecoveryOutcome.Other;
        }

        var task = new AgentTask(_services!, framework, spec, checkpoint);
        lock (_lock) _tasks[(framework, id)] = task;
        if (latest is not null) task.RestoreState(latest.State, latest.Healthy, latest.Timestamp);
        else task.RestoreState(TaskState.Staging, null, null);

        if (latest is { } l && l.State.IsTerminal())
        {
            // Already reported; the sandbox waits for the acknowledgement (if pending) and its collection.
            if (!_updates.HasPending(framework, id)) OnDrained(framework, id);
            return RecoveryOutcome.Other;
        }
        Allocate(task);
        var (pid, startTime) = FindProcess(checkpoint);
        if (pid > 0)
        {
            _ = task.ResumeAsync(pid, startTime);
            return RecoveryOutcome.Running;
        }
        settling.Add(task.EndWhileDownAsync());
        return RecoveryOutcome.Ended;
    }

    private void Allocate(AgentTask task)
    {
        lock (_lock)
        {
            try
            {
                _allocated = _allocated.Add(task.Spec.Resources.Flatten());
                task.HoldsResources = true;
            }
            catch (ValidationException e)
            {
                AddProblem($"task {task.Id}: its resources overlap another task's ({e.Message}); counted once");
            }
        }
    }

    /// <summary>
    /// The task's wrapper if it still runs: same pid, same start time (so a pid reused by another process is never
    /// taken for the task), and a pid file written since the last boot (start times count from boot).
    /// </summary>
    private static (int Pid, ulong StartTime) FindProcess(TaskCheckpoint checkpoint)
    {
        // Five minutes of slack: btime moves with wall-clock adjustments; the start time check is exact anyway.
        if (checkpoint.Pid <= 0 || checkpoint.PidWrittenUtc < ProcFs.BootTimeUtc() - TimeSpan.FromMinutes(5)) return (0, 0);
        return ProcFs.IsSameProcess(checkpoint.Pid, checkpoint.StartTime) ? (checkpoint.Pid, checkpoint.StartTime) : (0, 0);
    }

    /// <summary>The wrapper of a task whose task.json is unreadable, identified by its pid file alone.</summary>
    private static int FindByPidFile(AgentPaths paths, FrameworkId framework, TaskId id)
    {
        try
        {
            var checkpoint = new TaskCheckpoint();
            var pidFile = paths.PidFile(framework, id);
            if (!File.Exists(pidFile)) return 0;
            var parts = File.ReadAllText(pidFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)) return 0;
            checkpoint.Pid = pid;
            checkpoint.StartTime = start;
            checkpoint.PidWrittenUtc = File.GetLastWriteTimeUtc(pidFile);
            return FindProcess(checkpoint).Pid;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>
    /// A checkpoint that cannot be read: the spec is lost, so the task cannot be supervised. Its process, if it can be
    /// identified, is killed (it would otherwise run unaccounted), its cgroup removed, and the task reported failed.
    /// </summary>
    private void RecoverUnreadable(AgentPaths paths, FrameworkId framework, TaskId id, TaskStatusUpdate? latest, string file, Exception error)
    {
        var what = $"task {id} of framework {framework}: checkpoint {file} is unreadable ({error.Message})";
        if (latest is { } l && l.State.IsTerminal())
        {
            AddProblem(what + "; the task had ended already");
        }
        else
        {
            var pid = FindByPidFile(paths, framework, id);
            if (pid > 0) LibC.kill(-pid, LibC.SIGKILL);
            AddProblem(what + (pid > 0 ? $"; its process group {pid} was killed and the task reported failed" : "; the task is reported failed"));
            EmitRecoveryFailure(framework, id, TaskStatusReason.AgentRestarted,
                $"the agent restarted and could not recover the task: its checkpoint is unreadable ({error.Message})" + (pid > 0 ? "; its processes were killed" : ""));
        }
        DestroyCgroupByName(framework, id);
        var timer = _time.CreateTimer(static s => { var (r, f, t) = ((AgentRuntime, FrameworkId, TaskId))s!; r.CollectOrphan(f, t); }, (this, framework, id), _options.SandboxGcDelay, Timeout.InfiniteTimeSpan);
        lock (_lock) _orphanGc.Add(timer);
    }

    /// <summary>Task cgroup names are derived from the ids, so a task's cgroups are found even without its checkpoint.</summary>
    private void DestroyCgroupByName(FrameworkId framework, TaskId id)
    {
        if (_cgroups is not { } cgroups) return;
        var name = Cgroups.TaskName(framework, id);
        var dirs = new[] { cgroups.CpuParent, cgroups.CpuacctParent, cgroups.MemoryParent }.Where(p => p is not null).Select(p => Path.Combine(p!, name)).Distinct().ToList();
        lock (_lock) _cleanups.Add(cgroups.DestroyAsync(new TaskCgroup(dirs)));
    }

    private void CollectOrphan(FrameworkId framework, TaskId id)
    {
        if (_state == 2 || _updates!.HasPending(framework, id)) return;
        DeleteTaskDirectories(framework, id);
        _updates.Forget(framework, id);
    }

    private void EmitRecoveryFailure(FrameworkId framework, TaskId id, TaskStatusReason reason, string message) =>
        _updates!.Emit(framework, new TaskStatusUpdate
        {
            TaskId = id,
            State = TaskState.Failed,
            Reason = reason,
            Source = TaskStatusSource.Agent,
            Message = message,
            Timestamp = _time.GetUtcNow(),
            UpdateId = Guid.NewGuid(),
            AgentId = _agentId,
        });

    private static IEnumerable<string> SafeDirectories(string dir)
    {
        try
        {
            return Directory.GetDirectories(dir).Order(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
