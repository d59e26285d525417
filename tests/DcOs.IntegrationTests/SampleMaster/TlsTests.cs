using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DcOs.Transport;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>
/// TLS from configuration, with a certificate the test makes: the sample master serves HTTPS and a TLS transport,
/// its local agent joins over TLS trusting that certificate, and plain clients get nowhere.
/// </summary>
public sealed class TlsTests
{
    [Fact]
    public async Task The_master_serves_https_and_tls_and_its_agent_joins_over_tls()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("the agent host runs on Linux here");
        var dir = Directory.CreateTempSubdirectory("dcos-tls-");
        try
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=dcos-master", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            var certFile = Path.Combine(dir.FullName, "master.crt");
            var keyFile = Path.Combine(dir.FullName, "master.key");
            await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyFile, rsa.ExportPkcs8PrivateKeyPem());
            var thumbprint = certificate.GetCertHashString();
            using var trusting = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == thumbprint };

            // StartAsync waits for the local agent to be active: it registered over TLS, trusting the certificate file.
            await using var cluster = await SampleCluster.StartAsync(1, trusting, "--tls-cert", certFile, "--tls-key", keyFile);
            Assert.Equal("https", cluster.Api.Scheme);
            Assert.Equal(HttpStatusCode.OK, (await cluster.Http.GetAsync("api/agents")).StatusCode);

            // Plain HTTP to the API port is not answered as the API.
            using (var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{cluster.Api.Port}/"), Timeout = TimeSpan.FromSeconds(10) })
            {
                var answered = false;
                try
                {
                    answered = (await plain.GetAsync("api/agents")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                }
                Assert.False(answered);
            }

            // A plain TCP transport client never completes the handshake; a TLS one that does not trust the certificate neither.
            var masterEndPoint = IPEndPoint.Parse(cluster.Output.Split('\n').First(l => l.StartsWith("dcos: api ", StringComparison.Ordinal)).Split(" master ")[1].Split(' ')[0]);
            var join = ClientCredentials.FromToken(await File.ReadAllTextAsync(Path.Combine(cluster.DataDir, "join.token")), PeerRole.Agent);
            var plainTransport = DcOsTransports.CreateTcp(new TransportOptions { HandshakeTimeout = TimeSpan.FromSeconds(5) });
            await Assert.ThrowsAnyAsync<Exception>(async () => await plainTransport.ConnectAsync(masterEndPoint, join));
            var untrusting = DcOsTransports.CreateTcp(new TransportOptions { ClientTls = new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" } });
            var refused = await Assert.ThrowsAsync<HandshakeFailedException>(async () => await untrusting.ConnectAsync(masterEndPoint, join));
            Assert.Contains("TLS", refused.Message);
            var trusted = DcOsTransports.CreateTcp(new TransportOptions { ClientTls = TransportTls.Client(certFile, "127.0.0.1") });
            await using var connection = await trusted.ConnectAsync(masterEndPoint, join);
            Assert.Equal(ClusterSecretPrincipal, connection.Principal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A certificate with its key, usable by SslStream on every platform (round-tripped through PKCS#12).</summary>
    private static X509Certificate2 Usable(X509Certificate2 certificate) => X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    private static X509Certificate2 SelfSigned(string subject, bool authority, params string[] hosts)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(authority, false, 0, authority));
        if (authority) request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        if (hosts.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var host in hosts)
            {
                if (IPAddress.TryParse(host, out var ip)) names.AddIpAddress(ip);
                else names.AddDnsName(host);
            }
            request.CertificateExtensions.Add(names.Build());
        }
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return Usable(certificate);
    }

    private static X509Certificate2 IssuedBy(X509Certificate2 authority, string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(authority, authority.NotBefore.ToUniversalTime(), authority.NotAfter.ToUniversalTime().AddDays(-1), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return Usable(withKey);
    }

    private static async Task<string> WritePemAsync(DirectoryInfo dir, string name, X509Certificate2 certificate)
    {
        var path = Path.Combine(dir.FullName, name + ".crt");
        var key = certificate.GetRSAPrivateKey();
        await File.WriteAllTextAsync(path, certificate.ExportCertificatePem() + "\n" + (key is null ? "" : key.ExportPkcs8PrivateKeyPem()));
        return path;
    }

    [Fact]
    public async Task With_a_client_ca_the_transport_takes_only_clients_whose_certificate_it_issued()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("the agent host runs on Linux here");
        var dir = Directory.CreateTempSubdirectory("dcos-mtls-");
        try
        {
            using var master = SelfSigned("CN=dcos-master", authority: false, "127.0.0.1", "localhost");
            using var clientCa = SelfSigned("CN=dcos-client-ca", authority: true);
            using var agentCertificate = IssuedBy(clientCa, "CN=agent-7");
            using var stranger = SelfSigned("CN=stranger", authority: false);
            var masterFile = await WritePemAsync(dir, "master", master);
            var caFile = Path.Combine(dir.FullName, "client-ca.crt");
            await File.WriteAllTextAsync(caFile, clientCa.ExportCertificatePem());
            var thumbprint = master.GetCertHashString();
            using var trusting = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == thumbprint };

            // The local agent joins presenting the master's own certificate (StartAsync waits for it to be active).
            await using var cluster = await SampleCluster.StartAsync(1, trusting, "--tls-cert", masterFile, "--tls-client-ca", caFile);
            var masterEndPoint = IPEndPoint.Parse(cluster.Output.Split('\n').First(l => l.StartsWith("dcos: api ", StringComparison.Ordinal)).Split(" master ")[1].Split(' ')[0]);
            var join = ClientCredentials.FromToken(await File.ReadAllTextAsync(Path.Combine(cluster.DataDir, "join.token")), PeerRole.Agent);
            IDcOsTransport Client(X509Certificate2? own) => DcOsTransports.CreateTcp(new TransportOptions
            {
                ClientTls = TransportTls.Client(masterFile, "127.0.0.1", own),
                HandshakeTimeout = TimeSpan.FromSeconds(10),
            });

            // The right token is not enough without a certificate of the client CA.
            await Assert.ThrowsAnyAsync<Exception>(async () => await (await Client(null).ConnectAsync(masterEndPoint, join)).RequestAsync(new DcOs.Transport.Messages.Heartbeat(), TimeSpan.FromSeconds(10)));
            await Assert.ThrowsAnyAsync<Exception>(async () => await (await Client(stranger).ConnectAsync(masterEndPoint, join)).RequestAsync(new DcOs.Transport.Messages.Heartbeat(), TimeSpan.FromSeconds(10)));
            await using var connection = await Client(agentCertificate).ConnectAsync(masterEndPoint, join);
            Assert.Equal(ClusterSecretPrincipal, connection.Principal);
            Assert.Single((await cluster.GetAsync("api/agents")).EnumerateArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private const string ClusterSecretPrincipal = "join";
}
