using System.Text.Json;

namespace DcOs.Frameworks.Internal;

/// <summary>
/// Typed access to a store's JSON documents, with <see cref="FrameworkJson.Options"/>. Named apart from the store's
/// own methods, so that a string value is never taken for a JSON document.
/// </summary>
internal static class FrameworkStoreExtensions
{
    public static void Save<T>(this IFrameworkStore store, string kind, string id, T value) => store.Put(kind, id, JsonSerializer.Serialize(value, FrameworkJson.Options));

    /// <summary>The write that stores <paramref name="value"/>, for one <see cref="IFrameworkStore.Write"/> with others.</summary>
    public static FrameworkStoreWrite Saving<T>(string kind, string id, T value) => new(kind, id, JsonSerializer.Serialize(value, FrameworkJson.Options));

    public static T? Load<T>(this IFrameworkStore store, string kind, string id) =>
        store.Get(kind, id) is { } json ? JsonSerializer.Deserialize<T>(json, FrameworkJson.Options) : default;

    public static List<T> LoadAll<T>(this IFrameworkStore store, string kind) =>
        [.. store.All(kind).Select(json => JsonSerializer.Deserialize<T>(json, FrameworkJson.Options)!)];
}
