using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;
using MessagePack;

namespace DcOs.Transport.Internal;

/// <summary>
/// The opening exchange of every connection, run on the raw pipe before the connection's loops start:
/// <code>
/// client: Hello(version, principal, role, clientNonce)
/// server: Challenge(version, serverNonce, HMAC(secret, "server" | clientNonce | principal | role))   or Refused(reason)
/// client: Authenticate(HMAC(secret, "client" | serverNonce | principal | role))
/// server: Welcome(principal, role, heartbeat)                                                      or Refused(reason)
/// </code>
/// The secret never crosses the wire; both sides prove they hold it. Frames before Welcome are capped at
/// <see cref="TransportOptions.MaxHandshakeFrameSize"/>, so an unauthenticated peer cannot make the server allocate much.
/// </summary>
internal static class Handshake
{
    private const int NonceSize = 32;

    public static async Task<(string Principal, PeerRole Role)> RunServerAsync(IDuplexPipe pipe, TransportOptions options, CancellationToken cancellationToken)
    {
        var scratch = new ArrayBufferWriter<byte>(256);
        var first = await ReadAsync(pipe.Input, options.MaxHandshakeFrameSize, cancellationToken).ConfigureAwait(false);
        if (first is not Hello hello) throw await RefuseAsync(pipe, scratch, options, $"expected Hello as the first message, got {first.GetType().Name}").ConfigureAwait(false);
        if (hello.ProtocolVersion != ProtocolVersion.Current)
            throw await RefuseAsync(pipe, scratch, options, $"protocol version {hello.ProtocolVersion} is not supported; this server speaks version {ProtocolVersion.Current}").ConfigureAwait(false);
        if (string.IsNullOrEmpty(hello.Principal) || hello.Principal.Length > 256)
            throw await RefuseAsync(pipe, scratch, options, "the principal must be 1 to 256 characters").ConfigureAwait(false);
        if (!Enum.IsDefined(hello.Role)) throw await RefuseAsync(pipe, scratch, options, $"unknown role {(int)hello.Role}").ConfigureAwait(false);
        if (hello.ClientNonce is not { Length: NonceSize }) throw await RefuseAsync(pipe, scratch, options, $"the client nonce must be {NonceSize} bytes").ConfigureAwait(false);

        var open = !options.RequiresAuthentication;
        var credential = options.Credentials.FirstOrDefault(c => c.Principal == hello.Principal) ?? options.CredentialResolver?.Invoke(hello.Principal, hello.Role);
        var serverNonce = RandomNumberGenerator.GetBytes(NonceSize);
        // For an unknown principal the proof is random bytes, so the answer does not reveal which principals exist.
        var serverProof = open ? [] : credential is null ? RandomNumberGenerator.GetBytes(32) : Proof(credential.Secret, "server", hello.ClientNonce, hello.Principal, hello.Role);
        await WriteAsync(pipe.Output, new Challenge { ProtocolVersion = ProtocolVersion.Current, ServerNonce = serverNonce, ServerProof = serverProof }, scratch, options).ConfigureAwait(false);

        DcOsMessage second;
        try
        {
            second = await ReadAsync(pipe.Input, options.MaxHandshakeFrameSize, cancellationToken).ConfigureAwait(false);
        }
        catch (HandshakeFailedException e) when (!open)
        {
            // A client whose secret differs finds our proof wrong and leaves: say so, for the operator reading our log.
            throw new HandshakeFailedException($"authentication failed for principal '{hello.Principal}' as {hello.Role}: {e.Message} after the challenge (its secret does not match this server's, or it is not this cluster's)", e);
        }
        if (second is not Authenticate auth) throw await RefuseAsync(pipe, scratch, options, $"expected Authenticate, got {second.GetType().Name}").ConfigureAwait(false);
        if (!open)
        {
            var expected = credential is null ? null : Proof(credential.Secret, "client", serverNonce, hello.Principal, hello.Role);
            var ok = expected is not null && auth.Proof.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, auth.Proof) && credential!.Role == hello.Role;
            if (!ok)
            {
                var why = auth.Proof.Length == 0
                    ? $"authentication failed for principal '{hello.Principal}': no secret was presented"
                    : $"authentication failed for principal '{hello.Principal}' as {hello.Role}: wrong secret, unknown principal or role not granted";
                throw await RefuseAsync(pipe, scratch, options, why).ConfigureAwait(false);
            }
        }
        await WriteAsync(pipe.Output, new Welcome { Principal = hello.Principal, Role = hello.Role, HeartbeatIntervalMs = (long)options.HeartbeatInterval.TotalMilliseconds }, scratch, options).ConfigureAwait(false);
        return (hello.Principal, hello.Role);
    }

    /// <summary>The client's side; also returns the heartbeat interval the server announced (null when it announced none).</summary>
    public static async Task<(string Principal, PeerRole Role, TimeSpan? ServerHeartbeat)> RunClientAsync(IDuplexPipe pipe, ClientCredentials credentials, TransportOptions options, CancellationToken cancellationToken)
    {
        var scratch = new ArrayBufferWriter<byte>(256);
        var clientNonce = RandomNumberGenerator.GetBytes(NonceSize);
        await WriteAsync(pipe.Output, new Hello { ProtocolVersion = ProtocolVersion.Current, Principal = credentials.Principal, Role = credentials.Role, ClientNonce = clientNonce }, scratch, options).ConfigureAwait(false);
        var first = await ReadAsync(pipe.Input, options.MaxHandshakeFrameSize, cancellationToken).ConfigureAwait(false);
        if (first is Refused refusedEarly) throw new HandshakeFailedException("refused by the server: " + refusedEarly.Reason);
        if (first is not Challenge challenge) throw new HandshakeFailedException($"expected Challenge, got {first.GetType().Name}");
        if (challenge.ServerProof.Length > 0 && credentials.Secret is { } secret)
        {
            var expected = Proof(secret, "server", clientNonce, credentials.Principal, credentials.Role);
            if (!CryptographicOperations.FixedTimeEquals(expected, challenge.ServerProof))
                throw new HandshakeFailedException("the server could not prove it holds this principal's secret (wrong server or wrong secret)");
        }
        var proof = credentials.Secret is { } s ? Proof(s, "client", challenge.ServerNonce, credentials.Principal, credentials.Role) : [];
        await WriteAsync(pipe.Output, new Authenticate { Proof = proof }, scratch, options).ConfigureAwait(false);
        var second = await ReadAsync(pipe.Input, options.MaxHandshakeFrameSize, cancellationToken).ConfigureAwait(false);
        return second switch
        {
            Welcome welcome => (welcome.Principal, welcome.Role, welcome.HeartbeatIntervalMs > 0 ? TimeSpan.FromMilliseconds(welcome.HeartbeatIntervalMs) : null),
            Refused refused => throw new HandshakeFailedException("refused by the server: " + refused.Reason),
            _ => throw new HandshakeFailedException($"expected Welcome, got {second.GetType().Name}"),
        };
    }

    /// <summary>Tells the client why and returns the exception to throw.</summary>
    public static async Task<HandshakeFailedException> RefuseAsync(IDuplexPipe pipe, ArrayBufferWriter<byte> scratch, TransportOptions options, string reason)
    {
        try
        {
            await WriteAsync(pipe.Output, new Refused { Reason = reason }, scratch, options).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The peer is gone; the reason is still logged on this side.
        }
        return new HandshakeFailedException(reason);
    }

    private static byte[] Proof(byte[] secret, string side, byte[] nonce, string principal, PeerRole role)
    {
        var label = Encoding.UTF8.GetBytes($"dcos-v{ProtocolVersion.Current}|{side}|{principal}|{(int)role}|");
        var data = new byte[label.Length + nonce.Length];
        label.CopyTo(data, 0);
        nonce.CopyTo(data, label.Length);
        return HMACSHA256.HashData(secret, data);
    }

    public static async Task WriteAsync(PipeWriter output, DcOsMessage message, ArrayBufferWriter<byte> scratch, TransportOptions options)
    {
        FrameCodec.WriteFrame(output, message, scratch, options.MaxFrameSize);
        await output.FlushAsync().ConfigureAwait(false);
    }

    public static async Task<DcOsMessage> ReadAsync(PipeReader input, int maxFrameSize, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                if (FrameCodec.TryReadFrame(ref buffer, maxFrameSize, out var body))
                {
                    try
                    {
                        return DcOsSerializer.Deserialize(body);
                    }
                    catch (MessagePackSerializationException e)
                    {
                        throw new HandshakeFailedException("malformed handshake message: " + e.GetBaseException().Message, e);
                    }
                }
                if (result.IsCompleted || result.IsCanceled) throw new HandshakeFailedException("the peer closed the connection during the handshake");
            }
            catch (ProtocolViolationException e)
            {
                throw new HandshakeFailedException("bad handshake frame: " + e.Message, e);
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }
}
