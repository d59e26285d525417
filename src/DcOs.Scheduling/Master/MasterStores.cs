using DcOs.Scheduling.Master.Stores;

namespace DcOs.Scheduling.Master;

/// <summary>Creates the <see cref="IMasterStore"/> bundled with the engine (SQLite is in DcOs.Scheduling.Sqlite).</summary>
public static class MasterStores
{
    /// <summary>A store in memory (tests, simulations). Share one instance between master instances to simulate a restart.</summary>
    public static IMasterStore InMemory() => new InMemoryMasterStore();
}
