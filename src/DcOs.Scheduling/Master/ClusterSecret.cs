using System.Security.Cryptography;
using System.Text;
using DcOs.Core;
using DcOs.Transport;

namespace DcOs.Scheduling.Master;

/// <summary>
/// A cluster's root secret. Only the master holds it; it derives every peer's credential from it, so nothing else has
/// to be stored: the agents' join token (principal <see cref="JoinPrincipal"/>), each agent's own credential
/// (<c>agent/&lt;agent id&gt;</c>, issued to the agent when it first registers with the join token), and the
/// frameworks' tokens (one per principal). A master with a cluster secret (<c>UseClusterSecret</c>) authenticates every
/// connection and binds identities: the join token can only add agents, an agent's own credential can only be that
/// agent, and a framework id can only be re-subscribed by the principal that first subscribed it.
/// </summary>
public sealed class ClusterSecret
{
    /// <summary>The principal of the agents' join token: it registers new agents and nothing else.</summary>
    public const string JoinPrincipal = "join";

    /// <summary>The prefix of an agent's own principal, followed by its agent id.</summary>
    public const string AgentPrincipalPrefix = "agent/";

    private const int Size = 32;

    private readonly byte[] _secret;

    private ClusterSecret(byte[] secret) => _secret = secret;

    /// <summary>A new random secret.</summary>
    public static ClusterSecret Create() => new(RandomNumberGenerator.GetBytes(Size));

    /// <summary>A secret from its bytes (at least 32).</summary>
    public static ClusterSecret FromBytes(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < Size) throw new ArgumentException($"a cluster secret has at least {Size} bytes, not {secret.Length}", nameof(secret));
        return new ClusterSecret([.. secret]);
    }

    /// <summary>
    /// Reads the secret from <paramref name="path"/>, or creates the file (mode 0600 on Unix) with a new one; returns
    /// whether it was created. The file holds the secret in base64 on one line.
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but does not hold a secret.</exception>
    public static ClusterSecret LoadOrCreate(string path, out bool created)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            created = false;
            try
            {
                return FromBytes(Convert.FromBase64String(File.ReadAllText(path).Trim()));
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new InvalidDataException($"{path} does not hold a cluster secret ({e.Message}); restore it from a backup, or delete it to start a new cluster (every agent and framework then needs a new token)", e);
            }
        }
        var secret = Create();
        TokenFiles.Write(path, Convert.ToBase64String(secret._secret) + "\n");
        created = true;
        return secret;
    }

    /// <summary>The token agents join with: it registers new agents only.</summary>
    public ClientCredentials JoinCredentials() => CredentialsFor(JoinPrincipal, PeerRole.Agent);

    /// <summary>The credential of one agent, which it is given when it registers and uses from then on.</summary>
    public ClientCredentials AgentCredentials(AgentId agent) => CredentialsFor(AgentPrincipalPrefix + agent.Value, PeerRole.Agent);

    /// <summary>The credential of a framework principal (e.g. "services"); the frameworks of one principal can fail over to each other.</summary>
    public ClientCredentials FrameworkCredentials(string principal)
    {
        ArgumentException.ThrowIfNullOrEmpty(principal);
        if (IsAgentPrincipal(principal)) throw new ArgumentException($"'{principal}' is an agent's principal", nameof(principal));
        return CredentialsFor(principal, PeerRole.Framework);
    }

    /// <summary>
    /// What a master's transport accepts (<see cref="TransportOptions.CredentialResolver"/>): agents as the join principal
    /// or as <c>agent/&lt;id&gt;</c>, frameworks as any other principal; null (unknown) for anything else.
    /// </summary>
    public TransportCredential? Resolve(string principal, PeerRole role) => role switch
    {
        PeerRole.Agent when IsAgentPrincipal(principal) => new TransportCredential(principal, Derive(principal, role), role),
        PeerRole.Framework when !IsAgentPrincipal(principal) => new TransportCredential(principal, Derive(principal, role), role),
        _ => null,
    };

    /// <summary>Whether <paramref name="principal"/> is the join principal or an agent's own.</summary>
    public static bool IsAgentPrincipal(string principal) =>
        principal == JoinPrincipal || principal.StartsWith(AgentPrincipalPrefix, StringComparison.Ordinal);

    /// <summary>Prints nothing of the secret.</summary>
    public override string ToString() => "ClusterSecret(***)";

    private ClientCredentials CredentialsFor(string principal, PeerRole role) => new(principal, role, Derive(principal, role));

    private byte[] Derive(string principal, PeerRole role) =>
        HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes($"dcos-credential|{(int)role}|{principal}"));
}
