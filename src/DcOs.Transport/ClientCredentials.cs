using System.Text;

namespace DcOs.Transport;

/// <summary>Who a client is: principal, role, and the shared secret it proves (null against an open server).</summary>
/// <param name="Principal">The name presented to the server.</param>
/// <param name="Role">The role claimed.</param>
/// <param name="Secret">The shared secret; never sent, only used to compute proofs.</param>
public sealed record ClientCredentials(string Principal, PeerRole Role, byte[]? Secret = null)
{
    /// <summary>Credentials with a secret given as UTF-8 text.</summary>
    public static ClientCredentials WithTextSecret(string principal, PeerRole role, string secret) =>
        new(principal, role, Encoding.UTF8.GetBytes(secret));
}
