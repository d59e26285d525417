using DcOs.Scheduling.Master;

namespace DcOs.Scheduling.Sqlite;

/// <summary>Opens the SQLite <see cref="IMasterStore"/>.</summary>
public static class SqliteMasterStores
{
    /// <summary>A SQLite store in the file at <paramref name="path"/>, created with its folder if missing.</summary>
    public static IMasterStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new SqliteMasterStore(path);
    }
}
