namespace DcOs.Scheduling.Master;

/// <summary>
/// The master stopped acting because its store failed a write: nothing of the failed step was applied, and every call
/// fails with this until the store accepts writes again (the master retries every
/// <see cref="MasterOptions.StoreRetryInterval"/>) and the master has reloaded its state from it. An HTTP API answers 503.
/// </summary>
public sealed class MasterUnavailableException : Exception
{
    /// <summary>Creates the exception with a message that says why.</summary>
    public MasterUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the store's error.</summary>
    public MasterUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public MasterUnavailableException()
        : base("the master is unavailable")
    {
    }
}
