namespace DcOs.Frameworks.Jobs;

/// <summary>A job as the jobs framework sees it now.</summary>
/// <param name="Job">Its definition.</param>
/// <param name="LastRun">Its latest run, or null.</param>
/// <param name="SuccessCount">Runs that succeeded, pruned ones included.</param>
/// <param name="FailureCount">Runs that failed for good, pruned ones included.</param>
public sealed record JobStatus(JobDefinition Job, JobRun? LastRun, long SuccessCount, long FailureCount);
