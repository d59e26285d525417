namespace DcOs.SampleMaster;

/// <summary>The request names something that already exists (an app or job id): answered 409 Conflict.</summary>
public sealed class ConflictException(string message) : InvalidOperationException(message);
