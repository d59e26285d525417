using System.Net;
using System.Net.Security;

namespace DcOs.Transport;

/// <summary>
/// Settings of DcOs connections, listeners and clients. Defaults are documented on each property; <see cref="Validate"/>
/// runs at start so a bad configuration fails before anything listens.
/// </summary>
/// <remarks>
/// Memory is bounded per connection by: <see cref="MaxFrameSize"/> (checked on the 4-byte length prefix before any
/// allocation), the input pipe's pause threshold (max frame plus 64 KiB; the socket is not read while the parser is
/// behind, so TCP flow control slows the peer), <see cref="OutputPauseThreshold"/> for serialized bytes not yet written
/// to the socket, and <see cref="SendQueueCapacity"/> messages waiting to be serialized.
/// Policy when a peer does not read: senders using <c>SendAsync</c> wait for room (back-pressure), <c>TrySend</c>
/// returns false, and when no byte could be written to the peer for <see cref="SlowPeerTimeout"/> the connection is
/// closed with the reason "peer is not reading"; waiting senders then fail with <see cref="ConnectionClosedException"/>.
/// </remarks>
public sealed class TransportOptions
{
    /// <summary>Largest frame body accepted or sent, in bytes. Default 16 MiB.</summary>
    public int MaxFrameSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest frame accepted before authentication completes, in bytes. Default 64 KiB.</summary>
    public int MaxHandshakeFrameSize { get; set; } = 64 * 1024;

    /// <summary>Messages that may wait in a connection's outgoing queue. Default 16,384.</summary>
    public int SendQueueCapacity { get; set; } = 16_384;

    /// <summary>Serialized bytes that may wait for the socket before the send loop pauses. Default 1 MiB.</summary>
    public int OutputPauseThreshold { get; set; } = 1024 * 1024;

    /// <summary>How often a heartbeat is sent on a connection that has sent nothing else. Default 10 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection on which nothing arrived for this long is closed. Default 30 s (three heartbeats).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection whose peer accepted no byte for this long is closed. Default 30 s.</summary>
    public TimeSpan SlowPeerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for the handshake (version, authentication, TLS). Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time a graceful close waits for queued messages to be written. Default 2 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Connections a listener keeps open at once; more are refused with a reason. Default 1,000,000: at 100,000 (the
    /// old default) a master with 100,000 agents refused every framework. Over TCP each connection is a file
    /// descriptor, so the process's open-file limit (<c>ulimit -n</c>, <c>LimitNOFILE</c>) is the bound in practice
    /// (see docs/deploy.md); set this below it to be refused with a reason rather than fail accepts.
    /// </summary>
    public int MaxConnections { get; set; } = 1_000_000;

    /// <summary>
    /// Connections the kernel queues for a TCP listener before they are accepted. Default 4,096 (Linux caps it at
    /// <c>net.core.somaxconn</c>): thousands of agents reconnecting after a master restart arrive within a second.
    /// </summary>
    public int ListenBacklog { get; set; } = 4096;

    /// <summary>
    /// The local address a TCP client binds before it connects (its source address), or null for the system's choice.
    /// One source address reaches a master through about 28,000 ephemeral ports; a host simulating more agents, or an
    /// agent that must use one interface of several, sets it.
    /// </summary>
    public IPAddress? LocalAddress { get; set; }

    /// <summary>
    /// Principals a server accepts, with their secrets and roles. Empty: the server runs open and accepts any principal
    /// in the role it claims (logged once as a warning at start).
    /// </summary>
    public IList<TransportCredential> Credentials { get; } = new List<TransportCredential>();

    /// <summary>
    /// Looks up a principal that <see cref="Credentials"/> does not list (e.g. one whose secret a master derives from its
    /// cluster secret); null for an unknown principal. A server with a resolver or any credential requires authentication.
    /// </summary>
    public Func<string, PeerRole, TransportCredential?>? CredentialResolver { get; set; }

    /// <summary>Whether a server with these options authenticates its peers.</summary>
    public bool RequiresAuthentication => Credentials.Count > 0 || CredentialResolver is not null;

    /// <summary>TLS for servers (certificate, optional client certificates); null for plain TCP.</summary>
    public SslServerAuthenticationOptions? ServerTls { get; set; }

    /// <summary>TLS for clients (target host, validation); null for plain TCP.</summary>
    public SslClientAuthenticationOptions? ClientTls { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Require(MaxFrameSize is >= 1024 and <= 1024 * 1024 * 1024, nameof(MaxFrameSize), "must be between 1 KiB and 1 GiB");
        Require(MaxHandshakeFrameSize >= 1024 && MaxHandshakeFrameSize <= MaxFrameSize, nameof(MaxHandshakeFrameSize), "must be between 1 KiB and MaxFrameSize");
        Require(SendQueueCapacity >= 1, nameof(SendQueueCapacity), "must be at least 1");
        Require(OutputPauseThreshold >= 64 * 1024, nameof(OutputPauseThreshold), "must be at least 64 KiB");
        Require(HeartbeatInterval > TimeSpan.Zero, nameof(HeartbeatInterval), "must be positive");
        Require(IdleTimeout > HeartbeatInterval, nameof(IdleTimeout), "must be longer than HeartbeatInterval");
        Require(SlowPeerTimeout > TimeSpan.Zero, nameof(SlowPeerTimeout), "must be positive");
        Require(HandshakeTimeout > TimeSpan.Zero, nameof(HandshakeTimeout), "must be positive");
        Require(CloseTimeout >= TimeSpan.Zero, nameof(CloseTimeout), "must not be negative");
        Require(MaxConnections >= 1, nameof(MaxConnections), "must be at least 1");
        Require(ListenBacklog >= 1, nameof(ListenBacklog), "must be at least 1");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in Credentials)
        {
            Require(c is not null, nameof(Credentials), "must not contain null");
            Require(!string.IsNullOrEmpty(c!.Principal), nameof(Credentials), "a credential has no principal");
            Require(c.Secret is { Length: >= 16 }, nameof(Credentials), $"the secret of '{c.Principal}' must be at least 16 bytes");
            Require(seen.Add(c.Principal), nameof(Credentials), $"principal '{c.Principal}' is listed twice");
        }
        Require(ServerTls is null || ServerTls.ServerCertificate is not null || ServerTls.ServerCertificateContext is not null || ServerTls.ServerCertificateSelectionCallback is not null,
            nameof(ServerTls), "needs a server certificate");
    }

    internal TimeSpan TickInterval
    {
        get
        {
            var shortest = new[] { HeartbeatInterval, IdleTimeout, SlowPeerTimeout }.Min();
            return shortest / 2;
        }
    }

    /// <summary>The input pipe pauses above this many unread bytes: one largest frame plus one socket read.</summary>
    internal long InputPauseThreshold => (long)MaxFrameSize + 4 + 64 * 1024;

    private static void Require(bool condition, string name, string reason)
    {
        if (!condition) throw new ArgumentException($"TransportOptions.{name}: {reason}", name);
    }
}
