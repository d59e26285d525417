using System.Diagnostics.Metrics;
using DcOs.Transport.InMemory;
using DcOs.Transport.Internal;
using DcOs.Transport.Tcp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DcOs.Transport;

/// <summary>Creates transports without dependency injection (tests, tools, benchmarks).</summary>
public static class DcOsTransports
{
    /// <summary>A TCP transport (TLS when the options say so).</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static IDcOsTransport CreateTcp(TransportOptions? options = null, TimeProvider? time = null, ILoggerFactory? loggers = null, IMeterFactory? meters = null) =>
        new TcpTransport(Builder(options, time, loggers, meters));

    /// <summary>An in-memory transport; listeners are visible only to connections made through the same instance.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static IDcOsTransport CreateInMemory(TransportOptions? options = null, TimeProvider? time = null, ILoggerFactory? loggers = null, IMeterFactory? meters = null) =>
        new InMemoryTransport(Builder(options, time, loggers, meters));

    private static ConnectionBuilder Builder(TransportOptions? options, TimeProvider? time, ILoggerFactory? loggers, IMeterFactory? meters)
    {
        options ??= new TransportOptions();
        options.Validate();
        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger("DcOs.Transport");
        return new ConnectionBuilder(options, time ?? TimeProvider.System, logger, new TransportMetrics(meters));
    }
}
