using Microsoft.Extensions.Logging;

namespace DcOs.Framework.Internal;

/// <summary>The framework driver's log messages.</summary>
internal static partial class FrameworkLog
{
    [LoggerMessage(200, LogLevel.Information, "Framework {FrameworkId} subscribed (reconnected: {Reconnected})")]
    public static partial void Subscribed(ILogger logger, string frameworkId, bool reconnected);

    [LoggerMessage(201, LogLevel.Error, "A scheduler callback failed")]
    public static partial void CallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(202, LogLevel.Warning, "Not connected to the master: dropped {Call}")]
    public static partial void Dropped(ILogger logger, string call);
}
