using DcOs.Scheduling.Master.Stores;

namespace DcOs.Scheduling.Master;

/// <summary>Creates the bundled <see cref="IMasterStore"/> implementations.</summary>
public static class MasterStores
{
    /// <summary>A store in memory (tests, simulations). Share one instance between master instances to simulate a restart.</summary>
    public static IMasterStore InMemory() => new InMemoryMasterStore();

    /// <summary>A SQLite store in the file at <paramref name="path"/>, created with its folder if missing.</summary>
    public static IMasterStore Sqlite(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new SqliteMasterStore(path);
    }
}
