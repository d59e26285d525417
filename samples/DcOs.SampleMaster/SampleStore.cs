using System.Text.Json.Serialization.Metadata;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace DcOs.SampleMaster;

/// <summary>
/// The sample frameworks' own durable state (apps, jobs, runs, framework ids) in one SQLite file, so apps and jobs
/// survive a restart of the master process. Values are JSON; writes are small and immediate.
/// </summary>
public sealed class SampleStore : IDisposable
{
    // The resolver is explicit so that the API's door can read the contract (JsonTypeInfo) before anything is serialized.
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public SampleStore(string path)
    {
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
        Execute("PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS items (kind TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, id));");
    }

    /// <summary>Inserts or replaces an item; a write SQLite refuses (a full disk) throws <see cref="SampleStoreException"/>.</summary>
    public void Put<T>(string kind, string id, T value) => Write(kind, id, "INSERT OR REPLACE INTO items (kind, id, value) VALUES ($k, $i, $v)", JsonSerializer.Serialize(value, Json));

    /// <summary>Forgets an item; a write SQLite refuses throws <see cref="SampleStoreException"/>.</summary>
    public void Delete(string kind, string id) => Write(kind, id, "DELETE FROM items WHERE kind = $k AND id = $i", null);

    private void Write(string kind, string id, string sql, string? value)
    {
        lock (_gate)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            cmd.Parameters.AddWithValue("$k", kind);
            cmd.Parameters.AddWithValue("$i", id);
            if (value is not null) cmd.Parameters.AddWithValue("$v", value);
            try
            {
                cmd.ExecuteNonQuery();
            }
            catch (SqliteException e)
            {
                throw new SampleStoreException($"the master could not save {kind} '{id}' in its data dir ({e.Message.TrimEnd('.')}); nothing was changed, try again once it can write", e);
            }
        }
    }

    public T? Get<T>(string kind, string id) => All<T>(kind, id).FirstOrDefault();

    public List<T> All<T>(string kind, string? id = null)
    {
        lock (_gate)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = id is null ? "SELECT value FROM items WHERE kind = $k ORDER BY id" : "SELECT value FROM items WHERE kind = $k AND id = $i";
            cmd.Parameters.AddWithValue("$k", kind);
            if (id is not null) cmd.Parameters.AddWithValue("$i", id);
            using var reader = cmd.ExecuteReader();
            var list = new List<T>();
            while (reader.Read()) list.Add(JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!);
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

/// <summary>The sample store refused a write: the operation that needed it changed nothing (the API answers 503).</summary>
public sealed class SampleStoreException(string message, Exception inner) : IOException(message, inner);
