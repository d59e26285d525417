using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace DcOs.Transport;

/// <summary>
/// TLS from files, as an operator configures it: a server's certificate and key (PEM, or a PKCS#12 file), and a
/// client that trusts a given certificate authority (or the server's own self-signed certificate) instead of the
/// machine's store. Authentication stays the handshake's; TLS adds confidentiality (task specs carry environments).
/// </summary>
public static class TransportTls
{
    /// <summary>Loads a certificate with its private key: PEM (<paramref name="keyFile"/> given, or both in one file) or PKCS#12 (.pfx/.p12).</summary>
    /// <exception cref="InvalidDataException">The files do not hold a certificate with its key; the message names them.</exception>
    public static X509Certificate2 LoadCertificate(string certificateFile, string? keyFile = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificateFile);
        try
        {
            var extension = Path.GetExtension(certificateFile).ToLowerInvariant();
            var certificate = extension is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(certificateFile, null)
                : X509Certificate2.CreateFromPemFile(certificateFile, keyFile ?? certificateFile);
            // Ephemeral PEM keys cannot be used by SslStream on every platform: round-trip through PKCS#12.
            return certificate.HasPrivateKey && extension is not (".pfx" or ".p12")
                ? X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null)
                : certificate.HasPrivateKey ? certificate : throw new InvalidDataException($"{certificateFile} has no private key");
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            throw new InvalidDataException($"cannot load the TLS certificate {certificateFile}{(keyFile is null ? "" : $" with key {keyFile}")}: {e.Message}", e);
        }
    }

    /// <summary>Server TLS with the certificate in <paramref name="certificateFile"/> (and <paramref name="keyFile"/>).</summary>
    public static SslServerAuthenticationOptions Server(string certificateFile, string? keyFile = null) =>
        new() { ServerCertificate = LoadCertificate(certificateFile, keyFile) };

    /// <summary>
    /// Client TLS that accepts a server whose certificate chains to one in <paramref name="trustedFile"/> (PEM: a CA,
    /// or the server's own self-signed certificate) and names <paramref name="targetHost"/>; null: names the host each
    /// connection is made to (a client of several masters checks each against its own name).
    /// </summary>
    /// <param name="trustedFile">The certificates to trust (PEM).</param>
    /// <param name="targetHost">The host the server's certificate must name; null: the host connected to.</param>
    /// <param name="clientCertificate">The client's own certificate, with its key, for a server that requires one.</param>
    public static SslClientAuthenticationOptions Client(string trustedFile, string? targetHost = null, X509Certificate2? clientCertificate = null)
    {
        var options = new SslClientAuthenticationOptions { TargetHost = targetHost, CertificateChainPolicy = TrustOnly(LoadTrusted(trustedFile)) };
        if (clientCertificate is not null) options.ClientCertificates = [clientCertificate];
        return options;
    }

    /// <summary>
    /// Makes <paramref name="server"/> require each client's certificate (mutual TLS) and accept only one that chains
    /// to a certificate of <paramref name="trusted"/> (a client CA, or a client's own certificate). A client without
    /// one, or with another, fails the TLS handshake before the DcOs handshake starts.
    /// </summary>
    public static SslServerAuthenticationOptions RequireClientCertificates(this SslServerAuthenticationOptions server, X509Certificate2Collection trusted)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(trusted);
        if (trusted.Count == 0) throw new ArgumentException("no certificate to trust", nameof(trusted));
        server.ClientCertificateRequired = true;
        server.RemoteCertificateValidationCallback = (_, presented, _, _) =>
        {
            if (presented is null) return false;
            using var chain = new X509Chain { ChainPolicy = TrustOnly(trusted) };
            using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
            return chain.Build(certificate);
        };
        return server;
    }

    /// <summary>The certificates of a PEM file (a CA's, or a peer's own).</summary>
    /// <exception cref="InvalidDataException">The file cannot be read or holds no certificate; the message names it.</exception>
    public static X509Certificate2Collection LoadTrusted(string pemFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(pemFile);
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(pemFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidDataException($"cannot read the trusted certificates in {pemFile}: {e.Message}", e);
        }
        return roots.Count > 0 ? roots : throw new InvalidDataException($"{pemFile} holds no certificate");
    }

    /// <summary>A chain policy that trusts these certificates and nothing of the machine's store.</summary>
    private static X509ChainPolicy TrustOnly(X509Certificate2Collection trusted)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(trusted);
        return policy;
    }
}
