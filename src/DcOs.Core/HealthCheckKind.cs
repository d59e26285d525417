namespace DcOs.Core;

/// <summary>How a health check probes a task.</summary>
public enum HealthCheckKind
{
    /// <summary>Runs a command in the task's sandbox; exit 0 is healthy.</summary>
    Command,

    /// <summary>HTTP GET on the task's port; a 2xx or 3xx status is healthy.</summary>
    Http,

    /// <summary>A TCP connect to the task's port succeeds.</summary>
    Tcp,
}
