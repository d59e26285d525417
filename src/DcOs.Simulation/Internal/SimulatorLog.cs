using Microsoft.Extensions.Logging;

namespace DcOs.Simulation.Internal;

/// <summary>The simulator's log messages (source-generated).</summary>
internal static partial class SimulatorLog
{
    [LoggerMessage(1, LogLevel.Warning, "Simulated agent {Hostname}: the master refused its registration: {Reason}")]
    public static partial void RegistrationRefused(ILogger logger, string hostname, string reason);

    [LoggerMessage(2, LogLevel.Debug, "Simulated agent {Hostname}: could not reach {Master}: {Reason}; next attempt in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string hostname, string master, string reason, long delayMs);

    [LoggerMessage(3, LogLevel.Error, "A simulated action failed")]
    public static partial void ActionFailed(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "Simulated agent {Hostname}: the master says {Code}: {Message}")]
    public static partial void MasterError(ILogger logger, string hostname, string code, string message);
}
