using DcOs.Scheduling.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the SQLite store on the master's builder.</summary>
public static class SqliteMasterBuilderExtensions
{
    /// <summary>Persists the master in a SQLite file (the embedded default for production use).</summary>
    public static DcOsMasterBuilder UseSqliteStore(this DcOsMasterBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);
        builder.Services.Replace(ServiceDescriptor.Singleton(_ => SqliteMasterStores.Open(path)));
        return builder;
    }
}
