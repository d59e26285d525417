using DcOs.Core;

namespace DcOs.Agent.Internal;

/// <summary>
/// The work directory's layout, and the one place paths are built. Ids are already restricted to a safe character set
/// (no '/', no leading '.'), and every path is also resolved and checked to stay under the work directory, so that a
/// bug elsewhere cannot turn into a write outside it.
/// </summary>
/// <remarks>
/// <code>
/// &lt;work&gt;/agent.id                       the agent id (written once: temp file, fsync, rename)
/// &lt;work&gt;/status-updates.log             append-only log of status updates and acknowledgements
/// &lt;work&gt;/meta/&lt;fw&gt;/&lt;task&gt;/task.json     the task's spec and cgroups, written once before it starts
/// &lt;work&gt;/meta/&lt;fw&gt;/&lt;task&gt;/pid           "pid start-time", written by the task wrapper before it runs the command
/// &lt;work&gt;/meta/&lt;fw&gt;/&lt;task&gt;/exit          written by the task wrapper when the command ends ("$?")
/// &lt;work&gt;/meta/&lt;fw&gt;/&lt;task&gt;/kill          why the task is being killed, once a kill is asked
/// &lt;work&gt;/sandboxes/&lt;fw&gt;/&lt;task&gt;/         the task's working directory, with its stdout and stderr
/// </code>
/// </remarks>
internal sealed class AgentPaths
{
    public const string StdoutFile = "stdout";
    public const string StderrFile = "stderr";

    private readonly string _rootWithSeparator;

    public AgentPaths(string workDir)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workDir));
        _rootWithSeparator = Root + Path.DirectorySeparatorChar;
        Sandboxes = Path.Combine(Root, "sandboxes");
        Meta = Path.Combine(Root, "meta");
    }

    public string Root { get; }

    /// <summary>
    /// Tasks run as other users than the agent: they may pass through the work dir and the sandboxes dir to their own
    /// sandbox (mode 0711: no listing), and nothing else; the agent's own files (meta, the update log, its id and
    /// credential) are its alone.
    /// </summary>
    public void Protect()
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode passThrough = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(Root, passThrough);
        File.SetUnixFileMode(Sandboxes, passThrough);
        File.SetUnixFileMode(Meta, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Files an older agent created with the default mode.
        foreach (var file in new[] { AgentIdFile, UpdateLog, TokenFile, Path.Combine(Root, "agent.lock") })
        {
            if (File.Exists(file)) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Options for the agent's own files in the work dir: mode 0600, since tasks may pass through the dir.</summary>
    public static FileStreamOptions PrivateFile(FileMode mode, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = share, BufferSize = 64 * 1024 };
        if (!OperatingSystem.IsWindows() && mode is FileMode.Create or FileMode.CreateNew or FileMode.Append or FileMode.OpenOrCreate)
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    public string Sandboxes { get; }

    public string Meta { get; }

    public string AgentIdFile => Path.Combine(Root, "agent.id");

    /// <summary>Touched while the agent runs: a task's wrapper ends the task once it is older than the recovery timeout.</summary>
    public string AliveFile => Path.Combine(Root, "agent.alive");

    /// <summary>Written by a task's wrapper that ended the task because the agent was gone too long (its recovery timeout, s).</summary>
    public string OrphanedFile(FrameworkId framework, TaskId task) => Path.Combine(MetaDir(framework, task), "orphaned");

    /// <summary>The agent's own credential, issued by a master with a cluster secret (mode 0600).</summary>
    public string TokenFile => Path.Combine(Root, "agent.token");

    public string UpdateLog => Path.Combine(Root, "status-updates.log");

    public string SandboxDir(FrameworkId framework, TaskId task) => Under(Sandboxes, framework, task);

    public string MetaDir(FrameworkId framework, TaskId task) => Under(Meta, framework, task);

    public string CheckpointFile(FrameworkId framework, TaskId task) => Path.Combine(MetaDir(framework, task), "task.json");

    public string PidFile(FrameworkId framework, TaskId task) => Path.Combine(MetaDir(framework, task), "pid");

    public string ExitFile(FrameworkId framework, TaskId task) => Path.Combine(MetaDir(framework, task), "exit");

    /// <summary>The task's stdout or stderr; any other name is refused.</summary>
    /// <exception cref="ArgumentException">The name is not "stdout" or "stderr".</exception>
    public string LogFile(FrameworkId framework, TaskId task, string name)
    {
        if (name is not (StdoutFile or StderrFile)) throw new ArgumentException($"\"{name}\" is not a task log (expected stdout or stderr)", nameof(name));
        return Checked(Path.Combine(SandboxDir(framework, task), name));
    }

    /// <summary>Returns <paramref name="path"/> resolved, or throws when it is not strictly under the work directory.</summary>
    /// <exception cref="ArgumentException">The path escapes the work directory.</exception>
    public string Checked(string path)
    {
        var full = Path.GetFullPath(path);
        if (!full.StartsWith(_rootWithSeparator, StringComparison.Ordinal))
            throw new ArgumentException($"\"{path}\" is outside the work directory {Root}", nameof(path));
        return full;
    }

    private string Under(string area, FrameworkId framework, TaskId task)
    {
        // Re-validate: a default (empty) id has no text, and ids may come from directory names during recovery.
        IdText.Validate(framework.Value, "frameworkId");
        IdText.Validate(task.Value, "taskId");
        return Checked(Path.Combine(area, framework.Value, task.Value));
    }
}
