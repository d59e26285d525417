namespace DcOs.Frameworks;

/// <summary>The framework store refused a write: the operation that needed it changed nothing (an HTTP API answers 503).</summary>
/// <param name="message">What could not be saved, and why.</param>
/// <param name="inner">The store's own error.</param>
public sealed class FrameworkStoreException(string message, Exception inner) : IOException(message, inner);
