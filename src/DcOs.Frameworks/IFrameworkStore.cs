namespace DcOs.Frameworks;

/// <summary>
/// Where the services and jobs frameworks keep what must survive a restart (apps, jobs, runs, instances, their
/// framework ids): JSON documents by kind and id. Every write returns only once it is durable, and an operation writes
/// before it changes the framework's memory, so a write that throws (<see cref="FrameworkStoreException"/>) changes
/// nothing. SQLite is the default (<see cref="FrameworkStores.Sqlite"/>).
/// </summary>
public interface IFrameworkStore : IDisposable
{
    /// <summary>
    /// Applies <paramref name="writes"/> all or none (one transaction): what one step of a framework decided, such as
    /// the instances of one round of offers, stored before any is launched.
    /// </summary>
    /// <exception cref="FrameworkStoreException">They could not be written (e.g. the disk is full); none was.</exception>
    void Write(IReadOnlyList<FrameworkStoreWrite> writes);

    /// <summary>Inserts or replaces one document.</summary>
    /// <exception cref="FrameworkStoreException">It could not be written (e.g. the disk is full).</exception>
    void Put(string kind, string id, string json) => Write([new FrameworkStoreWrite(kind, id, json)]);

    /// <summary>Forgets one document (nothing when there is none).</summary>
    /// <exception cref="FrameworkStoreException">It could not be written.</exception>
    void Delete(string kind, string id) => Write([new FrameworkStoreWrite(kind, id, null)]);

    /// <summary>One document, or null.</summary>
    string? Get(string kind, string id);

    /// <summary>Every document of a kind, ordered by id.</summary>
    IReadOnlyList<string> All(string kind);
}

/// <summary>One change in <see cref="IFrameworkStore.Write"/>: the document <paramref name="Json"/> under (<paramref name="Kind"/>, <paramref name="Id"/>), or its removal when <paramref name="Json"/> is null.</summary>
/// <param name="Kind">What the document is ("app", "instance", "run", ...).</param>
/// <param name="Id">Its id within the kind.</param>
/// <param name="Json">The document, or null to delete it.</param>
public readonly record struct FrameworkStoreWrite(string Kind, string Id, string? Json);
