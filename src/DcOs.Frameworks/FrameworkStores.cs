using DcOs.Frameworks.Internal;

namespace DcOs.Frameworks;

/// <summary>Creates the bundled <see cref="IFrameworkStore"/>s.</summary>
public static class FrameworkStores
{
    /// <summary>
    /// One SQLite file in WAL mode, created readable by its owner only (mode 0600: apps' environments are in it).
    /// </summary>
    public static IFrameworkStore Sqlite(string path) => new SqliteFrameworkStore(path);

    /// <summary>A store in memory (tests, or frameworks whose state need not survive the process).</summary>
    public static IFrameworkStore InMemory() => new InMemoryFrameworkStore();
}
