using System.Diagnostics.Metrics;

namespace DcOs.Transport.Internal;

/// <summary>
/// The transport's instruments on the "DcOs.Transport" meter. Hot paths add once per batch, not once per message.
/// </summary>
internal sealed class TransportMetrics : IDisposable
{
    public const string MeterName = "DcOs.Transport";

    private readonly Meter _meter;

    public TransportMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        MessagesSent = _meter.CreateCounter<long>("dcos.transport.messages.sent", "{message}", "Messages written to connections");
        MessagesReceived = _meter.CreateCounter<long>("dcos.transport.messages.received", "{message}", "Messages read from connections");
        BytesSent = _meter.CreateCounter<long>("dcos.transport.bytes.sent", "By", "Bytes written to connections");
        BytesReceived = _meter.CreateCounter<long>("dcos.transport.bytes.received", "By", "Bytes read from connections");
        FramesRejected = _meter.CreateCounter<long>("dcos.transport.frames.rejected", "{frame}", "Frames refused as malformed, too large or unknown");
        ConnectionsOpen = _meter.CreateUpDownCounter<long>("dcos.transport.connections.open", "{connection}", "Connections currently open");
        HandshakesFailed = _meter.CreateCounter<long>("dcos.transport.handshakes.failed", "{handshake}", "Handshakes refused or timed out");
        SendsStalled = _meter.CreateUpDownCounter<long>("dcos.transport.sends.stalled", "{connection}",
            "Connections whose peer is not taking bytes: the send loop waits on a full buffer (closed after SlowPeerTimeout)");
    }

    public Counter<long> MessagesSent { get; }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> BytesSent { get; }

    public Counter<long> BytesReceived { get; }

    public Counter<long> FramesRejected { get; }

    public UpDownCounter<long> ConnectionsOpen { get; }

    public Counter<long> HandshakesFailed { get; }

    /// <summary>Backpressure seen from this side: how many connections wait on a peer right now.</summary>
    public UpDownCounter<long> SendsStalled { get; }

    public void Dispose() => _meter.Dispose();
}
