using DcOs.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Framework;

/// <summary>Creates framework clients without dependency injection.</summary>
public static class DcOsFramework
{
    /// <summary>A client that connects <paramref name="scheduler"/> to the master through <paramref name="transport"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static IFrameworkClient Create(IDcOsTransport transport, FrameworkOptions options, IFrameworkScheduler scheduler, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheduler);
        options.Validate();
        return new Internal.FrameworkDriver(transport, options, scheduler, time ?? TimeProvider.System, (loggers ?? NullLoggerFactory.Instance).CreateLogger("DcOs.Framework"));
    }
}
