using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using DcOs.Transport.Internal;

namespace DcOs.Transport.Tcp;

/// <summary>TCP (optionally TLS) connections: sockets with Nagle off, socket pumps into pipes, then the handshake.</summary>
internal sealed class TcpTransport(ConnectionBuilder builder) : IDcOsTransport
{
    public ValueTask<IConnectionListener> ListenAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        if (endPoint is not IPEndPoint ip) throw new ArgumentException($"TCP listens on an IPEndPoint, not {endPoint?.GetType().Name}", nameof(endPoint));
        return ValueTask.FromResult<IConnectionListener>(new TcpConnectionListener(ip, builder));
    }

    public async ValueTask<IMessageConnection> ConnectAsync(EndPoint endPoint, ClientCredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var socket = new Socket(endPoint.AddressFamily == AddressFamily.Unspecified ? AddressFamily.InterNetwork : endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
        };
        try
        {
            if (builder.Options.LocalAddress is { } local) socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var socketStream = new NetworkStream(socket, ownsSocket: true);
        Stream stream = socketStream;
        if (builder.Options.ClientTls is { } tls)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(ForHost(tls, endPoint), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw new HandshakeFailedException($"TLS with {endPoint} failed: {e.Message}", e);
            }
            stream = ssl;
        }
        var pipe = new StreamPipe(stream, socketStream, builder.Options);
        return await builder.ConnectAsync(pipe, endPoint, credentials, pipe.DisposeAsync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Options that name no target host check the server against the host connected to: a copy naming it, with the
    /// same trust, client certificates and validation.
    /// </summary>
    private static SslClientAuthenticationOptions ForHost(SslClientAuthenticationOptions tls, EndPoint endPoint)
    {
        if (!string.IsNullOrEmpty(tls.TargetHost)) return tls;
        return new SslClientAuthenticationOptions
        {
            TargetHost = endPoint switch
            {
                DnsEndPoint dns => dns.Host,
                IPEndPoint ip => ip.Address.ToString(),
                _ => endPoint.ToString(),
            },
            CertificateChainPolicy = tls.CertificateChainPolicy,
            ClientCertificates = tls.ClientCertificates,
            ClientCertificateContext = tls.ClientCertificateContext,
            LocalCertificateSelectionCallback = tls.LocalCertificateSelectionCallback,
            RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
            EnabledSslProtocols = tls.EnabledSslProtocols,
            ApplicationProtocols = tls.ApplicationProtocols,
            CertificateRevocationCheckMode = tls.CertificateRevocationCheckMode,
        };
    }
}
