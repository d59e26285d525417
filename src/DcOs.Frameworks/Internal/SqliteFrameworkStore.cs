using Microsoft.Data.Sqlite;

namespace DcOs.Frameworks.Internal;

/// <summary>
/// The frameworks' durable state (apps, jobs, runs, framework ids) in one SQLite file in WAL mode, so that apps and jobs
/// survive a restart of the process hosting them. Values are JSON; each <see cref="Write"/> is one transaction.
/// </summary>
internal sealed class SqliteFrameworkStore : IFrameworkStore
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    private readonly string _path;

    public SqliteFrameworkStore(string path)
    {
        _path = path;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // The apps' definitions (their env included) are the master's alone: mode 0600, which SQLite's -wal/-shm copy.
        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if (!File.Exists(path)) new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }).Dispose();
            else File.SetUnixFileMode(path, mode);
        }
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        // synchronous=NORMAL in WAL mode, as the master's store: a commit survives the process being killed, and only a
        // power loss may take back the last commits (the master's reconciliation then tells the truth about tasks).
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE IF NOT EXISTS items (kind TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, id));");
    }

    public void Write(IReadOnlyList<FrameworkStoreWrite> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0) return;
        lock (_gate)
        {
            try
            {
                using var transaction = _connection.BeginTransaction();
                foreach (var w in writes)
                {
                    using var cmd = _connection.CreateCommand();
                    cmd.Transaction = transaction;
                    cmd.CommandText = w.Json is null
                        ? "DELETE FROM items WHERE kind = $k AND id = $i"
                        : "INSERT OR REPLACE INTO items (kind, id, value) VALUES ($k, $i, $v)";
                    cmd.Parameters.AddWithValue("$k", w.Kind);
                    cmd.Parameters.AddWithValue("$i", w.Id);
                    if (w.Json is not null) cmd.Parameters.AddWithValue("$v", w.Json);
                    cmd.ExecuteNonQuery();
                }
                transaction.Commit();
            }
            catch (SqliteException e)
            {
                var what = writes.Count == 1 ? $"{writes[0].Kind} '{writes[0].Id}'" : $"{writes.Count} documents ({writes[0].Kind} '{writes[0].Id}', ...)";
                throw new FrameworkStoreException($"could not save {what} in {_path} ({e.Message.TrimEnd('.')}); nothing was changed, try again once it can write", e);
            }
        }
    }

    public string? Get(string kind, string id) => Read(kind, id).FirstOrDefault();

    public IReadOnlyList<string> All(string kind) => Read(kind, null);

    private List<string> Read(string kind, string? id)
    {
        lock (_gate)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = id is null ? "SELECT value FROM items WHERE kind = $k ORDER BY id" : "SELECT value FROM items WHERE kind = $k AND id = $i";
            cmd.Parameters.AddWithValue("$k", kind);
            if (id is not null) cmd.Parameters.AddWithValue("$i", id);
            using var reader = cmd.ExecuteReader();
            var list = new List<string>();
            while (reader.Read()) list.Add(reader.GetString(0));
            return list;
        }
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        lock (_gate) _connection.Dispose();
    }
}

