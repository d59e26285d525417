namespace DcOs.Frameworks;

/// <summary>
/// Where the services and jobs frameworks keep what must survive a restart (apps, jobs, runs, their framework ids):
/// JSON documents by kind and id. Every write returns only once it is durable, and an operation writes before it
/// changes the framework's memory, so a write that throws (<see cref="FrameworkStoreException"/>) changes nothing.
/// SQLite is the default (<see cref="FrameworkStores.Sqlite"/>).
/// </summary>
public interface IFrameworkStore : IDisposable
{
    /// <summary>Inserts or replaces one document.</summary>
    /// <exception cref="FrameworkStoreException">It could not be written (e.g. the disk is full).</exception>
    void Put(string kind, string id, string json);

    /// <summary>Forgets one document (nothing when there is none).</summary>
    /// <exception cref="FrameworkStoreException">It could not be written.</exception>
    void Delete(string kind, string id);

    /// <summary>One document, or null.</summary>
    string? Get(string kind, string id);

    /// <summary>Every document of a kind, ordered by id.</summary>
    IReadOnlyList<string> All(string kind);
}
