using System.Security.Cryptography;
using DcOs.Scheduling.Master;
using DcOs.Transport;

namespace DcOs.SampleMaster.Security;

/// <summary>
/// The credentials of a sample master's cluster, kept in its data dir (files of mode 0600), the way k3s and kubeadm
/// bootstrap: <c>cluster.secret</c> (the root every transport credential derives from; never leaves the master),
/// <c>join.token</c> (what agents join with: copy it to each machine), <c>admin.token</c> (the HTTP API's and the CLI's
/// bearer token). Created on first start, read back on every later one.
/// </summary>
public sealed class ClusterBootstrap
{
    /// <summary>The principal of the in-process services framework.</summary>
    public const string ServicesPrincipal = "dcos-services";

    /// <summary>The principal of the in-process jobs framework.</summary>
    public const string JobsPrincipal = "dcos-jobs";

    private ClusterBootstrap(ClusterSecret secret, string joinTokenFile, string adminToken, string adminTokenFile)
    {
        Secret = secret;
        JoinTokenFile = joinTokenFile;
        AdminToken = adminToken;
        AdminTokenFile = adminTokenFile;
    }

    public ClusterSecret Secret { get; }

    /// <summary>The file agents join with (<c>--token-file</c>).</summary>
    public string JoinTokenFile { get; }

    /// <summary>The bearer token of the HTTP API.</summary>
    public string AdminToken { get; }

    public string AdminTokenFile { get; }

    /// <summary>Reads the credentials in <paramref name="dataDir"/>, creating what is missing.</summary>
    public static ClusterBootstrap LoadOrCreate(string dataDir)
    {
        var secret = ClusterSecret.LoadOrCreate(Path.Combine(dataDir, "cluster.secret"), out _);
        var join = Path.Combine(dataDir, "join.token");
        // Derived, so rewriting it is harmless; written each start so that a deleted copy comes back.
        TokenFiles.Write(join, secret.JoinCredentials().ToToken() + "\n");
        var adminFile = Path.Combine(dataDir, "admin.token");
        if (!File.Exists(adminFile)) TokenFiles.Write(adminFile, "dcos-admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) + "\n");
        var admin = TokenFiles.Read(adminFile);
        if (admin.Length < 16) throw new InvalidDataException($"{adminFile} holds no token; delete it to get a new one");
        return new ClusterBootstrap(secret, join, admin, adminFile);
    }
}
