using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DcOs.Core;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;

namespace DcOs.Agent.Internal.Tasks;

/// <summary>
/// What a restarted agent needs to know about one task, in meta/&lt;fw&gt;/&lt;task&gt;/. Every file is written once and
/// never rewritten:
/// <list type="bullet">
/// <item>task.json: the spec and the task's cgroups, before the process starts (temporary name, then renamed);</item>
/// <item>pid: "pid start-time", written by the task wrapper itself before it runs the command;</item>
/// <item>exit: the command's status, written by the wrapper when the command ends;</item>
/// <item>kill: why the task is being killed, when a kill is asked (so a kill interrupted by a restart is still a kill).</item>
/// </list>
/// The task's states live in the update log, not here. Write-once files are not only simpler to reason about: on ext4,
/// replacing a file frees an inode, and every inode freed in the last minutes makes each later file creation scan
/// further (ext4's recently-deleted check); rewriting checkpoints made launching tasks several times slower.
/// </summary>
internal sealed class TaskCheckpoint
{
    public const string SpecFile = "task.json";
    public const string PidFile = "pid";
    public const string KillFile = "kill";

    public int Version { get; set; } = 1;

    public string FrameworkId { get; set; } = "";

    public string TaskId { get; set; } = "";

    /// <summary>The <see cref="RunTask"/> in the wire format (base64): the one exact encoding of a spec.</summary>
    public string RunTask { get; set; } = "";

    public List<string> Cgroups { get; set; } = [];

    public DateTimeOffset LaunchedAt { get; set; }

    [JsonIgnore]
    public int Pid { get; set; }

    [JsonIgnore]
    public ulong StartTime { get; set; }

    /// <summary>When the wrapper wrote its pid file; a file older than the last boot describes a process that is gone.</summary>
    [JsonIgnore]
    public DateTime PidWrittenUtc { get; set; }

    [JsonIgnore]
    public bool KillRequested { get; set; }

    [JsonIgnore]
    public TaskStatusReason KillReason { get; set; }

    [JsonIgnore]
    public string? KillMessage { get; set; }

    /// <summary>The grace period the kill asked for; null: the task's own.</summary>
    [JsonIgnore]
    public TimeSpan? KillGrace { get; set; }

    public static TaskCheckpoint Create(FrameworkId framework, TaskSpec spec, DateTimeOffset now) => new()
    {
        FrameworkId = framework.Value,
        TaskId = spec.Id.Value,
        RunTask = Convert.ToBase64String(DcOsSerializer.ToBytes(new RunTask { FrameworkId = framework, Task = spec })),
        LaunchedAt = now,
    };

    /// <summary>The spec, decoded and validated.</summary>
    /// <exception cref="InvalidDataException">The field is not a valid task.</exception>
    public TaskSpec ReadSpec()
    {
        try
        {
            var bytes = Convert.FromBase64String(RunTask);
            var message = DcOsSerializer.Deserialize(new System.Buffers.ReadOnlySequence<byte>(bytes));
            if (message is not RunTask { Task: { } spec }) throw new InvalidDataException("runTask holds no task");
            return spec.Validate();
        }
        catch (Exception e) when (e is FormatException or MessagePack.MessagePackSerializationException or ValidationException)
        {
            throw new InvalidDataException("runTask is not a valid task: " + e.Message, e);
        }
    }

    public void SaveSpec(string metaDir) => WriteOnce(metaDir, SpecFile, JsonSerializer.SerializeToUtf8Bytes(this, CheckpointJson.Default.TaskCheckpoint));

    /// <summary>kill: the reason, the message, and the grace period in milliseconds (empty: the task's own).</summary>
    public void SaveKill(string metaDir) =>
        WriteOnce(metaDir, KillFile, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{KillReason}\n{KillMessage}\n{(KillGrace is { } grace ? ((long)grace.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : "")}\n")));

    /// <summary>
    /// Reads the checkpoint files; throws <see cref="InvalidDataException"/> when task.json is truncated, corrupt or
    /// incomplete. An unreadable pid or kill file is reported in <paramref name="problems"/> and ignored.
    /// </summary>
    public static TaskCheckpoint Load(string metaDir, List<string> problems)
    {
        var specPath = Path.Combine(metaDir, SpecFile);
        var bytes = File.ReadAllBytes(specPath);
        TaskCheckpoint? checkpoint;
        try
        {
            checkpoint = JsonSerializer.Deserialize(bytes, CheckpointJson.Default.TaskCheckpoint);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not valid JSON ({bytes.Length} bytes): {e.Message}", e);
        }
        if (checkpoint is null || checkpoint.Version != 1 || string.IsNullOrEmpty(checkpoint.RunTask))
            throw new InvalidDataException("incomplete checkpoint (no version or no task)");

        var pidPath = Path.Combine(metaDir, PidFile);
        if (File.Exists(pidPath))
        {
            var parts = File.ReadAllText(pidPath).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            {
                checkpoint.Pid = pid;
                checkpoint.StartTime = start;
                checkpoint.PidWrittenUtc = File.GetLastWriteTimeUtc(pidPath);
            }
            else
            {
                problems.Add($"{pidPath} is unreadable; the task's process cannot be identified");
            }
        }

        var killPath = Path.Combine(metaDir, KillFile);
        if (File.Exists(killPath))
        {
            var lines = File.ReadAllLines(killPath);
            checkpoint.KillRequested = true;
            checkpoint.KillReason = lines.Length > 0 && Enum.TryParse<TaskStatusReason>(lines[0], out var reason) ? reason : TaskStatusReason.TaskKilled;
            checkpoint.KillMessage = lines.Length > 1 ? lines[1] : "killed by request";
            // Files written before the grace was recorded have two lines: the task's own grace applies.
            if (lines.Length > 2 && long.TryParse(lines[2], NumberStyles.None, CultureInfo.InvariantCulture, out var graceMs)) checkpoint.KillGrace = TimeSpan.FromMilliseconds(graceMs);
        }
        return checkpoint;
    }

    private static void WriteOnce(string dir, string name, byte[] content)
    {
        // Renamed into place: a reader never sees half a file. Not fsync'd: the checkpoint must survive the agent's
        // death, which the page cache does; after a machine crash the processes it describes are gone anyway, and the
        // update log (which is fsync'd) still holds every unacknowledged update.
        var path = Path.Combine(dir, name);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TaskCheckpoint))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
