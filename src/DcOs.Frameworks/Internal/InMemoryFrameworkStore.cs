namespace DcOs.Frameworks.Internal;

/// <summary>Documents in a dictionary, for tests and frameworks whose state need not outlive the process.</summary>
internal sealed class InMemoryFrameworkStore : IFrameworkStore
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<(string Kind, string Id), string> _items = [];

    public void Write(IReadOnlyList<FrameworkStoreWrite> writes)
    {
        lock (_gate)
        {
            foreach (var w in writes)
            {
                if (w.Json is null) _items.Remove((w.Kind, w.Id));
                else _items[(w.Kind, w.Id)] = w.Json;
            }
        }
    }

    public string? Get(string kind, string id)
    {
        lock (_gate) return _items.GetValueOrDefault((kind, id));
    }

    public IReadOnlyList<string> All(string kind)
    {
        lock (_gate) return [.. _items.Where(i => i.Key.Kind == kind).Select(i => i.Value)];
    }

    public void Dispose()
    {
    }
}
