namespace DcOs.Transport.Messages;

/// <summary>
/// What an <see cref="ErrorMessage"/> means, for the receiver to act on (the message is for a person). The numbers
/// are the wire values: add new codes at the end and never reuse one; a code this build does not know reads as itself
/// and is handled like <see cref="Unknown"/>.
/// </summary>
internal enum ErrorCode : byte
{
    /// <summary>No particular meaning (or a code from a newer peer).</summary>
    Unknown = 0,

    /// <summary>The request failed validation; the message names the field.</summary>
    Invalid = 1,

    /// <summary>What the request names does not exist (a task, a log file).</summary>
    NotFound = 2,

    /// <summary>An agent sent something before registering.</summary>
    NotRegistered = 3,

    /// <summary>A framework sent something before subscribing.</summary>
    NotSubscribed = 4,

    /// <summary>This peer may not send this message, or the receiver does not answer it.</summary>
    Unsupported = 5,

    /// <summary>The framework id was removed (failover timeout or teardown): subscribing again needs a new id.</summary>
    FrameworkRemoved = 6,

    /// <summary>A launch named a task id the agent already runs.</summary>
    DuplicateTask = 7,

    /// <summary>The master has no placement optimizer for a PlaceTasks batch.</summary>
    NoOptimizer = 8,

    /// <summary>The receiver failed to read or write what the request needs.</summary>
    IoError = 9,

    /// <summary>The sender is not allowed to do this.</summary>
    Unauthorized = 10,

    /// <summary>A response arrived without a body.</summary>
    EmptyResponse = 11,

    /// <summary>The receiver cannot act now (the master's store is failing); try again later.</summary>
    Unavailable = 12,
}
