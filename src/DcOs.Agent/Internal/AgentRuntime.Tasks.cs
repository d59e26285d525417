using DcOs.Agent.Internal.Tasks;
using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Internal;

/// <summary>Launches, refusals, kills, the books of free resources, and sandbox collection.</summary>
internal sealed partial class AgentRuntime
{
    /// <summary>
    /// On an agent that lists GPU devices, the devices a task was given must exist here and have the room its share
    /// needs beside the tasks already holding them (a master is not trusted with that); null when they do.
    /// </summary>
    private string? WhyNotOnDevices(TaskSpec spec)
    {
        var gpus = spec.Resources.Gpus;
        if (gpus <= 0 || Info!.Gpus.Count == 0) return null;
        if (spec.GpuDevices is not { } named) return $"the task asks for gpus {gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)} but names no GPU device; this agent lists {Info.Gpus.Count} (the master gives each GPU task its devices)";
        var free = GpuShares.FreeOf(Info.Gpus, _tasks.Values.Where(t => t.HoldsResources).Select(t => t.Spec));
        return GpuShares.CheckPinned(free, gpus, spec.GpuModel, named) is { } error ? "gpuDevices: " + error : null;
    }

    private ValueTask Run(RunTask run)
    {
        var framework = run.FrameworkId;
        if (run.Task is not { } spec || framework.IsEmpty || spec.Id.IsEmpty)
        {
            AgentLog.TaskRefused(_logger, framework.Value ?? "?", run.Task?.Id.Value ?? "?", "RunTask without a framework id or task id");
            return ValueTask.CompletedTask;
        }
        try
        {
            spec.Validate();
        }
        catch (ValidationException e)
        {
            Refuse(framework, spec.Id, TaskStatusReason.TaskInvalid, e.Message);
            return ValueTask.CompletedTask;
        }
        AgentTask task;
        lock (_lock)
        {
            if (_state == 2)
            {
                Refuse(framework, spec.Id, TaskStatusReason.AgentRefused, "the agent is stopping");
                return ValueTask.CompletedTask;
            }
            var known = _tasks.TryGetValue((framework, spec.Id), out var existing) ? existing.State : _updates!.Latest(framework, spec.Id)?.State;
            if (known is { } state)
            {
                // Not a status update: it would land on the known task's own update stream and tell the master that
                // task was dropped while it runs (or after it ended). The master checks task ids before it launches,
                // so this is a master-side bug or a replay; it is told, in words, and the known task is left alone.
                var message = $"task {spec.Id} of framework {framework} is already known on this agent ({state.MesosName()}); the second launch is ignored";
                AgentLog.TaskRefused(_logger, framework.Value, spec.Id.Value, message);
                _registeredOn?.TrySend(new ErrorMessage { Code = ErrorCode.DuplicateTask, Message = message });
                return ValueTask.CompletedTask;
            }
            var free = Info!.Resources.Flatten().Subtract(_allocated);
            var why = WhyNotFits(spec.Resources.Flatten(), free) ?? WhyNotOnDevices(spec);
            if (why is not null)
            {
                Refuse(framework, spec.Id, TaskStatusReason.AgentRefused, why);
                return ValueTask.CompletedTask;
            }
            task = new AgentTask(_services!, framework, spec, TaskCheckpoint.Create(framework, spec, _time.GetUtcNow()));
            _tasks.Add((framework, spec.Id), task);
            _allocated = _allocated.Add(spec.Resources.Flatten());
            task.HoldsResources = true;
        }
        _ = Task.Run(task.LaunchAsync);
        return ValueTask.CompletedTask;
    }

    /// <summary>The first resource the task needs that is not free, said in words; null when it fits.</summary>
    internal static string? WhyNotFits(Resources need, Resources free)
    {
        foreach (var r in need)
        {
            switch (r.Kind)
            {
                case ResourceKind.Scalar:
                    var have = free.GetScalar(r.Name);
                    if (r.Scalar > have) return $"needs {r.Name} {r.Scalar} but only {have} {(have.Milli == 1000 ? "is" : "are")} free";
                    break;
                case ResourceKind.Ranges:
                    var missing = r.Ranges.Except(free.GetRanges(r.Name));
                    if (!missing.IsEmpty) return $"needs {r.Name} {r.Ranges} but {missing} {(missing.Count == 1 ? "is" : "are")} not free";
                    break;
                default:
                    var freeSet = free.FirstOrDefault(f => f.Name == r.Name && f.Kind == ResourceKind.Set)?.Set ?? ValueSet.Empty;
                    if (!freeSet.Contains(r.Set)) return $"needs {r.Name} {r.Set} but only {freeSet} are free";
                    break;
            }
        }
        return null;
    }

    private void Refuse(FrameworkId framework, TaskId task, TaskStatusReason reason, string message)
    {
        AgentLog.TaskRefused(_logger, framework.Value, task.Value, message);
        _updates!.Emit(framework, new TaskStatusUpdate
        {
            TaskId = task,
            State = TaskState.Dropped,
            Reason = reason,
            Source = TaskStatusSource.Agent,
            Message = message,
            Timestamp = _time.GetUtcNow(),
            UpdateId = Guid.NewGuid(),
            AgentId = _agentId,
        });
    }

    private void Kill(KillTask kill)
    {
        var task = FindTask(kill.FrameworkId, kill.TaskId);
        if (task is null)
        {
            AgentLog.KillUnknownTask(_logger, kill.FrameworkId.Value ?? "?", kill.TaskId.Value ?? "?");
            return;
        }
        var grace = kill.GracePeriodMs is { } ms ? TimeSpan.FromMilliseconds(Math.Max(0, ms)) : task.Spec.KillGracePeriod;
        task.Kill(grace, TaskStatusReason.TaskKilled, "killed by request");
    }

    private void OnTerminal(AgentTask task)
    {
        lock (_lock)
        {
            if (task.HoldsResources)
            {
                _allocated = _allocated.Subtract(task.Spec.Resources.Flatten());
                task.HoldsResources = false;
            }
        }
        if (!_updates!.HasPending(task.Framework, task.Id)) OnDrained(task.Framework, task.Id);
    }

    /// <summary>The task's last update was acknowledged: collect its sandbox after the configured delay.</summary>
    private void OnDrained(FrameworkId framework, TaskId id)
    {
        lock (_lock)
        {
            if (_state == 2) return;
            if (!_tasks.TryGetValue((framework, id), out var task))
            {
                // A refused launch or a stream recovered without a checkpoint: nothing on disk to keep.
                _updates!.Forget(framework, id);
                return;
            }
            if (task.IsActive || task.GcTimer is not null) return;
            var delay = _options.SandboxGcDelay;
            if (task.CompletedAt is { } completed) delay -= _time.GetUtcNow() - completed;
            if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
            task.GcTimer = _time.CreateTimer(static s => { var (r, t) = ((AgentRuntime, AgentTask))s!; r.Collect(t); }, (this, task), delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Collect(AgentTask task)
    {
        lock (_lock)
        {
            if (_state == 2 || !_tasks.TryGetValue((task.Framework, task.Id), out var t) || !ReferenceEquals(t, task)) return;
            if (_updates!.HasPending(task.Framework, task.Id)) return;
            _tasks.Remove((task.Framework, task.Id));
            task.GcTimer?.Dispose();
        }
        DeleteTaskDirectories(task.Framework, task.Id);
        _updates!.Forget(task.Framework, task.Id);
        AgentLog.SandboxCollected(_logger, task.Framework.Value, task.Id.Value);
    }

    private void DeleteTaskDirectories(FrameworkId framework, TaskId id)
    {
        var paths = _paths!;
        foreach (var dir in (string[])[paths.SandboxDir(framework, id), paths.MetaDir(framework, id)])
        {
            try
            {
                // Directory.Delete removes symbolic links a task left in its sandbox without following them.
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                var parent = Path.GetDirectoryName(dir)!;
                if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any()) Directory.Delete(parent);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                AgentLog.BackgroundFailed(_logger, e, "removing " + dir);
            }
        }
    }

    private void CapLogs()
    {
        List<AgentTask> active;
        lock (_lock) active = [.. _tasks.Values.Where(t => t.IsActive && t.Pid != 0)];
        foreach (var t in active) t.CapLogs();
    }
}
