using MessagePack;

namespace DcOs.Transport.Messages;

/// <summary>First frame of a client: its protocol version, who it claims to be, and a nonce the server must prove on.</summary>
[MessagePackObject]
internal sealed class Hello : DcOsMessage
{
    /// <inheritdoc />
    [IgnoreMember]
    internal override bool IsApplicationMessage => false;

    /// <summary>The client's protocol version.</summary>
    [Key(0)] public int ProtocolVersion { get; set; }

    /// <summary>The claimed principal.</summary>
    [Key(1)] public string Principal { get; set; } = "";

    /// <summary>The claimed role.</summary>
    [Key(2)] public PeerRole Role { get; set; }

    /// <summary>32 random bytes; the server answers with an HMAC over them so the client knows the server has the secret too.</summary>
    [Key(3)] public byte[] ClientNonce { get; set; } = [];
}

/// <summary>The server's answer to <see cref="Hello"/>: a nonce to sign, and its proof over the client's nonce.</summary>
[MessagePackObject]
internal sealed class Challenge : DcOsMessage
{
    /// <inheritdoc />
    [IgnoreMember]
    internal override bool IsApplicationMessage => false;

    /// <summary>The server's protocol version.</summary>
    [Key(0)] public int ProtocolVersion { get; set; }

    /// <summary>32 random bytes the client signs with its secret.</summary>
    [Key(1)] public byte[] ServerNonce { get; set; } = [];

    /// <summary>HMAC of the client's nonce under the principal's secret; empty when the server runs without credentials.</summary>
    [Key(2)] public byte[] ServerProof { get; set; } = [];
}

/// <summary>The client's proof: HMAC-SHA256 of the server nonce, principal and role under the shared secret.</summary>
[MessagePackObject]
internal sealed class Authenticate : DcOsMessage
{
    /// <inheritdoc />
    [IgnoreMember]
    internal override bool IsApplicationMessage => false;

    /// <summary>The proof; the secret itself never crosses the wire.</summary>
    [Key(0)] public byte[] Proof { get; set; } = [];
}

/// <summary>The handshake succeeded.</summary>
[MessagePackObject]
internal sealed class Welcome : DcOsMessage
{
    /// <inheritdoc />
    [IgnoreMember]
    internal override bool IsApplicationMessage => false;

    /// <summary>The authenticated principal.</summary>
    [Key(0)] public string Principal { get; set; } = "";

    /// <summary>The authenticated role.</summary>
    [Key(1)] public PeerRole Role { get; set; }

    /// <summary>
    /// The server's heartbeat interval, in milliseconds: a client heartbeats at least this often, so a server whose
    /// idle timeout is shorter than the client's own settings assume never closes it as silent.
    /// </summary>
    [Key(2)] public long HeartbeatIntervalMs { get; set; }
}

/// <summary>The handshake failed; the connection closes after this frame.</summary>
[MessagePackObject]
internal sealed class Refused : DcOsMessage
{
    /// <inheritdoc />
    [IgnoreMember]
    internal override bool IsApplicationMessage => false;

    /// <summary>Why, for a person to read.</summary>
    [Key(0)] public string Reason { get; set; } = "";
}

/// <summary>A graceful close: the sender will send nothing more.</summary>
[MessagePackObject]
internal sealed class Goodbye : DcOsMessage
{
    /// <inheritdoc />
    [IgnoreMember]
    internal override bool IsApplicationMessage => false;

    /// <summary>Why the connection is closing.</summary>
    [Key(0)] public string Reason { get; set; } = "";
}

/// <summary>Keeps an idle connection alive and proves the peer is there.</summary>
[MessagePackObject]
internal sealed class Heartbeat : DcOsMessage
{
    /// <inheritdoc />
    [IgnoreMember]
    internal override bool IsApplicationMessage => false;

    /// <summary>Increases by one per heartbeat sent on the connection.</summary>
    [Key(0)] public long Sequence { get; set; }
}
