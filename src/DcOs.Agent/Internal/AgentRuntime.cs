using System.Collections;
using System.Globalization;
using System.Text;
using DcOs.Agent.Internal.Discovery;
using DcOs.Agent.Internal.Isolation;
using DcOs.Agent.Internal.Linux;
using DcOs.Agent.Internal.Tasks;
using DcOs.Agent.Internal.Updates;
using DcOs.Core;
using DcOs.Transport;
using DcOs.Transport.Messages;
using Microsoft.Extensions.Logging;

namespace DcOs.Agent.Internal;

/// <summary>
/// The agent: owns the work directory, recovers it at start, keeps one connection to the master (re-registering after
/// every reconnect), turns master messages into task launches and kills, and keeps the books of free resources.
/// </summary>
internal sealed partial class AgentRuntime : IDcOsAgent, IMessageHandler, IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly IDcOsTransport _transport;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly Dictionary<(FrameworkId, TaskId), AgentTask> _tasks = [];
    private readonly List<string> _problems = [];
    private readonly List<ITimer> _orphanGc = [];
    private readonly List<Task> _cleanups = [];
    /// <summary>The registration waiting for its answer, and the connection it was sent on.</summary>
    private volatile PendingRegistration? _registration;
    private TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AgentPaths? _paths;
    private FileStream? _workDirLock;
    private Cgroups? _cgroups;
    private ProcessReaper? _reaper;
    private StatusUpdateManager? _updates;
    private UpdateLog? _log;
    private TaskServices? _services;
    private ReconnectingConnection? _connection;
    private ITimer? _logCapTimer;
    private ITimer? _aliveTimer;
    private volatile IMessageConnection? _registeredOn;
    private Resources _allocated = Resources.Empty;
    private AgentId _agentId;
    private int _state; // 0 new, 1 started, 2 stopped

    public AgentRuntime(AgentOptions options, IDcOsTransport transport, TimeProvider time, ILoggerFactory loggers)
    {
        _options = options;
        _transport = transport;
        _time = time;
        _logger = loggers.CreateLogger("DcOs.Agent");
    }

    public AgentId AgentId => _agentId;

    public AgentInfo? Info { get; private set; }

    public string? IsolationWarning { get; private set; }

    public IReadOnlyList<string> RecoveryProblems
    {
        get
        {
            lock (_problems) return [.. _problems];
        }
    }

    internal StatusUpdateManager Updates => _updates ?? throw new InvalidOperationException("the agent has not started");

    internal AgentPaths Paths => _paths ?? throw new InvalidOperationException("the agent has not started");

    internal Cgroups? Cgroups => _cgroups;

    internal AgentTask? FindTask(FrameworkId framework, TaskId task)
    {
        lock (_lock) return _tasks.GetValueOrDefault((framework, task));
    }

    public async Task WaitUntilRegisteredAsync(CancellationToken cancellationToken = default)
    {
        Task registered;
        lock (_lock) registered = _registered.Task;
        await registered.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("the agent was started already");
        try
        {
            await StartCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Release what was taken (the work directory lock above all), so a corrected retry can start.
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        _options.Validate();
        var paths = _paths = new AgentPaths(_options.WorkDir!);
        Directory.CreateDirectory(paths.Root);
        Directory.CreateDirectory(paths.Sandboxes);
        Directory.CreateDirectory(paths.Meta);
        paths.Protect();
        // Before any task is launched or re-attached: their wrappers compare this file's age with the recovery timeout.
        TouchAlive(paths);
        try
        {
            // An exclusive lock (flock) on a file in the work directory: two agents must never share one. The kernel
            // drops it when the agent dies, even by SIGKILL.
            _workDirLock = new FileStream(Path.Combine(paths.Root, "agent.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"the work directory {paths.Root} is used by another agent ({e.Message})", e);
        }

        var discovered = ResourceDiscovery.Discover(_options, paths.Root);
        Info = discovered.Info;
        AgentLog.Starting(_logger, paths.Root, Info.Hostname, Info.Resources.ToString(), Info.Attributes.ToString());
        foreach (var note in discovered.Notes) AgentLog.Discovered(_logger, note);
        SetUpIsolation(paths);
        if (!Info.Attributes.TryGet("isolation", out _))
        {
            // Said to the master from the first registration on (ReregisterAgent also carries the warning's text),
            // and usable in constraints: isolation:LIKE:cgroups.*
            var isolation = _cgroups is null ? "none" : "cgroups_v" + _cgroups.Version.ToString(CultureInfo.InvariantCulture);
            Info = Info with { Attributes = Info.Attributes.With("isolation", AttributeValue.OfText(isolation)) };
        }
        _reaper = new ProcessReaper();

        var problems = new List<string>();
        var records = UpdateLog.Read(paths.UpdateLog, problems);
        ReadAgentId(paths, records);
        _updates = new StatusUpdateManager(_time, _options.StatusUpdateRetryInitial, _options.StatusUpdateRetryMax) { Drained = OnDrained };
        _updates.Restore(records);
        _log = UpdateLog.Open(paths.UpdateLog, _updates.Snapshot(), _updates.OnDurable, e => AgentLog.UpdateLogFailed(_logger, e, paths.UpdateLog), _updates.Snapshot);
        _updates.AttachLog(_log);
        foreach (var p in problems) AddProblem(p);

        _services = new TaskServices
        {
            Options = _options,
            Paths = paths,
            Time = _time,
            Reaper = _reaper,
            Cgroups = _cgroups,
            Updates = _updates,
            Logger = _logger,
            Hostname = Info.Hostname,
            HasGpus = Info.Gpus.Count > 0,
            BaseEnvironment = BaseEnvironment(),
            AgentId = () => _agentId,
            Users = TaskUsers.ForThisProcess(_options.TaskUser),
            OnTerminal = OnTerminal,
        };
        // Tasks that ended while the agent was down are settled before registering, so the re-registration reports
        // their final state rather than a RUNNING that the next update contradicts.
        await Task.WhenAll(Recover(paths)).WaitAsync(cancellationToken).ConfigureAwait(false);
        _logCapTimer = _time.CreateTimer(static s => ((AgentRuntime)s!).CapLogs(), this, _options.LogCheckInterval, _options.LogCheckInterval);
        // Wall-clock time on purpose: the wrappers that read the file's age are other processes on the real clock.
        var every = TimeSpan.FromTicks(Math.Clamp(_options.RecoveryTimeout.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromSeconds(30).Ticks));
        _aliveTimer = TimeProvider.System.CreateTimer(static s => ((AgentRuntime)s!).TouchAlive(((AgentRuntime)s!)._paths!), this, every, every);

        _connection = new ReconnectingConnection(_transport, _options.ResolveMasters(), () => Credentials(paths),
            this, OnConnectedAsync, new Backoff(TimeSpan.FromMilliseconds(100), _options.ReconnectMaxDelay), _time, _logger);
        _connection.Start();
    }

    /// <summary>
    /// Who the agent connects as: its own credential once the master issued one (kept in the work dir), else the join
    /// token (<see cref="AgentOptions.TokenFile"/> or <see cref="AgentOptions.Token"/>), else principal and secret.
    /// </summary>
    private ClientCredentials Credentials(AgentPaths paths)
    {
        if (File.Exists(paths.TokenFile)) return ClientCredentials.FromToken(TokenFiles.Read(paths.TokenFile), PeerRole.Agent);
        if (_options.TokenFile is { } file) return ClientCredentials.FromToken(TokenFiles.Read(file), PeerRole.Agent);
        if (_options.Token is { } token) return ClientCredentials.FromToken(token, PeerRole.Agent);
        return new ClientCredentials(_options.Principal, PeerRole.Agent, _options.Secret is null ? null : Encoding.UTF8.GetBytes(_options.Secret));
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        _logCapTimer?.Dispose();
        _aliveTimer?.Dispose();
        List<AgentTask> tasks;
        lock (_lock)
        {
            tasks = [.. _tasks.Values];
            foreach (var t in _orphanGc) t.Dispose();
            foreach (var t in tasks) t.GcTimer?.Dispose();
        }
        var active = tasks.Where(t => t.IsActive).ToList();
        if (_options.KillTasksOnShutdown)
        {
            foreach (var t in active) t.Kill(t.Spec.KillGracePeriod, TaskStatusReason.TaskKilled, "killed because the agent stopped");
            try
            {
                await Task.WhenAll(active.Select(t => t.Completion)).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout: leave the rest to the next agent's recovery.
            }
            // Give the master a moment to receive (and the framework to acknowledge) the KILLED updates; what is not
            // acknowledged stays in the log for the next agent. Real time: this bounds a shutdown, it is no protocol timer.
            if (_registeredOn is not null && _updates is not null)
            {
                try
                {
                    await _updates.WhenAllAcknowledged().WaitAsync(TimeSpan.FromSeconds(2), TimeProvider.System, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is TimeoutException or OperationCanceledException)
                {
                    // Delivered by the next agent.
                }
            }
        }
        else
        {
            foreach (var t in active) t.Detach();
        }
        if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
        AgentLog.Stopped(_logger, active.Count, _options.KillTasksOnShutdown ? "killed" : "left running");
        if (_log is not null)
        {
            await _log.FlushAsync().ConfigureAwait(false);
            _updates?.Dispose();
            await _log.DisposeAsync().ConfigureAwait(false);
        }
        _reaper?.Dispose();
        Task[] cleanups;
        lock (_lock) cleanups = [.. _cleanups];
        await Task.WhenAll(cleanups).ConfigureAwait(false);
        _cgroups?.RemoveParents();
        if (_workDirLock is not null) await _workDirLock.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private void SetUpIsolation(AgentPaths paths)
    {
        if (_options.Isolation == AgentIsolation.None)
        {
            IsolationWarning = "isolation is turned off (AgentOptions.Isolation = None): tasks run as plain processes without cpu or memory limits";
        }
        else
        {
            _cgroups = Cgroups.TryCreate(_options.CgroupsRoot, Cgroups.AgentKey(paths.Root), _options.CgroupsEnableCfsQuota, out var reason);
            if (_cgroups is null)
            {
                if (_options.Isolation == AgentIsolation.Cgroups)
                    throw new InvalidOperationException($"AgentOptions.Isolation is Cgroups but cgroups cannot be used here: {reason}");
                IsolationWarning = $"cgroups are not writable ({reason}): tasks run as plain processes without cpu or memory limits";
            }
        }
        if (IsolationWarning is not null) AgentLog.NotIsolated(_logger, IsolationWarning);
        else AgentLog.Isolated(_logger, _cgroups!.Describe());
    }

    /// <summary>
    /// The id from agent.id; when that file is missing or corrupt, the id the agent last stamped on a status update in
    /// the log (so its running tasks stay its own), written back to agent.id; otherwise none: a new agent.
    /// </summary>
    private void ReadAgentId(AgentPaths paths, List<DcOsMessage> records)
    {
        string? text = File.Exists(paths.AgentIdFile) ? File.ReadAllText(paths.AgentIdFile).Trim() : null;
        if (AgentId.TryParse(text, out var id))
        {
            _agentId = id;
            return;
        }
        var logged = records.OfType<StatusUpdate>().Select(u => u.Status?.AgentId ?? default).LastOrDefault(a => !a.IsEmpty);
        var what = text is null ? $"{paths.AgentIdFile} is missing" : $"{paths.AgentIdFile} does not hold a valid agent id (\"{Printable(text)}\")";
        if (logged.IsEmpty)
        {
            if (text is not null) AddProblem(what + "; the agent registers as a new agent");
            return;
        }
        WriteAgentId(logged);
        _agentId = logged;
        AddProblem($"{what}; the id {logged} was recovered from the status-update log and written back");
    }

    private void WriteAgentId(AgentId id)
    {
        // Atomic and durable: the id must never be half-written or lost, or the tasks would belong to nobody.
        var path = _paths!.AgentIdFile;
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, AgentPaths.PrivateFile(FileMode.Create, FileShare.None)))
        {
            file.Write(Encoding.UTF8.GetBytes(id.Value + "\n"));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        LibC.FsyncDirectory(_paths.Root);
    }

    /// <summary>Marks the agent alive for its tasks' wrappers (see <see cref="AgentOptions.RecoveryTimeout"/>).</summary>
    private void TouchAlive(AgentPaths paths)
    {
        try
        {
            if (!File.Exists(paths.AliveFile)) new FileStream(paths.AliveFile, AgentPaths.PrivateFile(FileMode.CreateNew, FileShare.ReadWrite)).Dispose();
            File.SetLastWriteTimeUtc(paths.AliveFile, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AgentLog.BackgroundFailed(_logger, e, "marking the agent alive for its tasks failed; they end after the recovery timeout unless it succeeds again");
        }
    }

    private void SaveToken(string token)
    {
        try
        {
            _ = ClientCredentials.FromToken(token, PeerRole.Agent);
            TokenFiles.Write(_paths!.TokenFile, token + "\n");
            LibC.FsyncDirectory(_paths.Root);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            // The agent keeps joining with the join token; the master gives the credential again each time.
            AgentLog.RegistrationFailed(_logger, "could not keep the credential the master issued: " + e.Message);
        }
    }

    private static string Printable(string text) => text.Length > 60 ? text[..60] + "..." : new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    private void AddProblem(string problem)
    {
        lock (_problems) _problems.Add(problem);
        AgentLog.RecoveryProblem(_logger, problem);
    }

    private static Dictionary<string, string> BaseEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var name = (string)e.Key;
            // Variables the agent sets per task are never inherited from the agent's own environment.
            if (name.StartsWith("DCOS_", StringComparison.Ordinal) || name.StartsWith("MESOS_", StringComparison.Ordinal) || name.StartsWith("PORT", StringComparison.Ordinal)) continue;
            env[name] = (string?)e.Value ?? "";
        }
        return env;
    }

}
