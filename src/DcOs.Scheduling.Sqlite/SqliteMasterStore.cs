using DcOs.Core;
using DcOs.Scheduling.Master;
using DcOs.Transport.Serialization;
using MessagePack;
using Microsoft.Data.Sqlite;

namespace DcOs.Scheduling.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. Values are the protocol's MessagePack encodings of the
/// Core types, so the store and the wire agree on one schema. Each step of the master is one transaction, committed before
/// the master acts on it (a crash after the commit loses nothing; <c>synchronous=NORMAL</c> in WAL mode may lose
/// the last commits only on power loss, not on a process crash).
/// </summary>
internal sealed class SqliteMasterStore : IMasterStore
{
    /// <summary>
    /// The database holds the cluster's state, task environments included: readable by its owner only (mode 0600).
    /// SQLite gives its -wal and -shm files the database's mode, so creating the file first is enough.
    /// </summary>
    internal static void OwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (!File.Exists(path)) new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }).Dispose();
        else File.SetUnixFileMode(path, mode);
    }

    private readonly SqliteConnection _connection;
    private readonly FileStream _lock;
    private readonly Lock _gate = new();
    private readonly Statement _upsertAgent;
    private readonly Statement _upsertFramework;
    private readonly Statement _deleteFramework;
    private readonly Statement _upsertTask;
    private readonly Statement _deleteTask;

    public SqliteMasterStore(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        _lock = Exclusive(path + ".lock");
        OwnerOnly(path);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA synchronous=NORMAL;");
        Execute("""
            CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, info BLOB NOT NULL, status INTEGER NOT NULL, registered INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS frameworks (id TEXT PRIMARY KEY, info BLOB NOT NULL, registered INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS tasks (framework_id TEXT NOT NULL, task_id TEXT NOT NULL, agent_id TEXT NOT NULL, spec BLOB NOT NULL,
                status BLOB NOT NULL, role TEXT NOT NULL, started INTEGER, PRIMARY KEY (framework_id, task_id));
            """);
        _upsertAgent = new Statement(_connection, "INSERT OR REPLACE INTO agents (id, info, status, registered) VALUES ($id, $info, $status, $registered)", "$id", "$info", "$status", "$registered");
        _upsertFramework = new Statement(_connection, "INSERT OR REPLACE INTO frameworks (id, info, registered) VALUES ($id, $info, $registered)", "$id", "$info", "$registered");
        _deleteFramework = new Statement(_connection, "DELETE FROM frameworks WHERE id = $id", "$id");
        _upsertTask = new Statement(_connection, "INSERT OR REPLACE INTO tasks (framework_id, task_id, agent_id, spec, status, role, started) VALUES ($fw, $task, $agent, $spec, $status, $role, $started)",
            "$fw", "$task", "$agent", "$spec", "$status", "$role", "$started");
        _deleteTask = new Statement(_connection, "DELETE FROM tasks WHERE framework_id = $fw AND task_id = $task", "$fw", "$task");
    }

    public Task<MasterStoreState> LoadAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var agents = new List<AgentRecord>();
            using (var cmd = Command("SELECT info, status, registered FROM agents"))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                    agents.Add(new AgentRecord(Read<AgentInfo>(r, 0), (AgentStatus)r.GetInt32(1), Ticks(r.GetInt64(2))));
            }
            var frameworks = new List<FrameworkRecord>();
            using (var cmd = Command("SELECT info, registered FROM frameworks"))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read()) frameworks.Add(new FrameworkRecord(Read<FrameworkInfo>(r, 0), Ticks(r.GetInt64(1))));
            }
            var tasks = new List<TaskRecord>();
            using (var cmd = Command("SELECT framework_id, agent_id, spec, status, role, started FROM tasks"))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    tasks.Add(new TaskRecord(
                        new FrameworkId(r.GetString(0)), new AgentId(r.GetString(1)), Read<TaskSpec>(r, 2), Read<TaskStatusUpdate>(r, 3),
                        r.GetString(4), r.IsDBNull(5) ? null : Ticks(r.GetInt64(5))));
                }
            }
            return Task.FromResult(new MasterStoreState(agents, frameworks, tasks));
        }
    }

    /// <summary>One transaction per step: SQLite rolls every statement of it back when any fails (a full disk, an I/O error).</summary>
    public Task WriteAsync(MasterStoreChanges changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.IsEmpty) return Task.CompletedTask;
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var agent in changes.Agents) _upsertAgent.Run(transaction, agent.Info.Id.Value, Bytes(agent.Info), (int)agent.Status, agent.RegisteredAt.UtcTicks);
            foreach (var framework in changes.Frameworks) _upsertFramework.Run(transaction, framework.Info.Id.Value, Bytes(framework.Info), framework.RegisteredAt.UtcTicks);
            foreach (var id in changes.RemovedFrameworks) _deleteFramework.Run(transaction, id.Value);
            foreach (var task in changes.Tasks)
            {
                _upsertTask.Run(transaction, task.FrameworkId.Value, task.Spec.Id.Value, task.AgentId.Value, Bytes(task.Spec), Bytes(task.Status), task.Role, task.StartedAt?.UtcTicks);
            }
            foreach (var (frameworkId, taskId) in changes.RemovedTasks) _deleteTask.Run(transaction, frameworkId.Value, taskId.Value);
            transaction.Commit();
        }
        return Task.CompletedTask;
    }

    /// <summary>A write of the marker row: it needs the same room in the WAL as a step does.</summary>
    public Task CheckWritableAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            Run(transaction, "INSERT OR REPLACE INTO meta (key, value) VALUES ('checked', $now)", ("$now", DateTime.UtcNow.Ticks));
            transaction.Commit();
        }
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            foreach (var statement in new[] { _upsertAgent, _upsertFramework, _deleteFramework, _upsertTask, _deleteTask }) statement.Dispose();
            _connection.Dispose();
        }
        _lock.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// One master per store: two masters writing one database would each believe its own memory. The lock (flock, held
    /// until the store is disposed or the process dies, kill -9 included) names its holder's pid for the one refused.
    /// </summary>
    private static FileStream Exclusive(string lockPath)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            // The holder's name is in a file of its own: the lock file itself cannot be read while it is held.
            var owner = Path.ChangeExtension(lockPath, ".owner");
            var holder = File.Exists(owner) ? File.ReadAllText(owner).Trim() : "";
            throw new IOException($"the master store {Path.GetFileNameWithoutExtension(lockPath)} is in use by {(holder.Length > 0 ? holder : "another process")}; one master per data dir (stop it, or give this one another data dir)");
        }
        File.WriteAllText(Path.ChangeExtension(lockPath, ".owner"), $"the master with pid {Environment.ProcessId} on {Environment.MachineName}\n");
        return stream;
    }

    private void Run(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(sql);
        cmd.Transaction = transaction;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// A write the store makes for every row of every step, kept as one command: SQLite compiles its SQL once, not per
    /// row (a 100,000-task launch compiled 300,000 statements and managed 1,300 tasks a second).
    /// </summary>
    private sealed class Statement : IDisposable
    {
        private readonly SqliteCommand _command;
        private readonly SqliteParameter[] _parameters;

        public Statement(SqliteConnection connection, string sql, params string[] names)
        {
            _command = connection.CreateCommand();
            _command.CommandText = sql;
            _parameters = [.. names.Select(n => _command.Parameters.AddWithValue(n, DBNull.Value))];
        }

        public void Run(SqliteTransaction transaction, params object?[] values)
        {
            _command.Transaction = transaction;
            for (var i = 0; i < _parameters.Length; i++) _parameters[i].Value = values[i] ?? DBNull.Value;
            _command.ExecuteNonQuery();
        }

        public void Dispose() => _command.Dispose();
    }

    private void Execute(string sql)
    {
        using var cmd = Command(sql);
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    private static byte[] Bytes<T>(T value) => MessagePackSerializer.Serialize(value, DcOsSerializer.Options);

    private static T Read<T>(SqliteDataReader reader, int column) =>
        MessagePackSerializer.Deserialize<T>((byte[])reader.GetValue(column), DcOsSerializer.Options)
        ?? throw new InvalidDataException($"column {column} holds a null {typeof(T).Name}");

    private static DateTimeOffset Ticks(long ticks) => new(ticks, TimeSpan.Zero);
}
