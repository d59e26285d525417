namespace DcOs.Frameworks;

/// <summary>The request names something that already exists (an app or a job id): an HTTP API answers 409 Conflict.</summary>
/// <param name="message">What exists already.</param>
public sealed class ConflictException(string message) : InvalidOperationException(message);
