using System.Text;

namespace DcOs.Transport;

/// <summary>Who a client is: principal, role, and the shared secret it proves (null against an open server).</summary>
/// <param name="Principal">The name presented to the server.</param>
/// <param name="Role">The role claimed.</param>
/// <param name="Secret">The shared secret; never sent, only used to compute proofs.</param>
public sealed record ClientCredentials(string Principal, PeerRole Role, byte[]? Secret = null)
{
    private const string TokenPrefix = "dcos1:";

    /// <summary>Credentials with a secret given as UTF-8 text.</summary>
    public static ClientCredentials WithTextSecret(string principal, PeerRole role, string secret) =>
        new(principal, role, Encoding.UTF8.GetBytes(secret));

    /// <summary>
    /// Credentials from a token (<c>dcos1:&lt;principal&gt;:&lt;secret, base64url&gt;</c>), as a master writes them for
    /// agents to join and frameworks to subscribe with. Surrounding white space (a trailing newline in a file) is ignored.
    /// </summary>
    /// <exception cref="FormatException">The text is not such a token; the message says what is wrong, never the secret.</exception>
    public static ClientCredentials FromToken(string token, PeerRole role)
    {
        ArgumentNullException.ThrowIfNull(token);
        var text = token.Trim();
        if (!text.StartsWith(TokenPrefix, StringComparison.Ordinal)) throw new FormatException("a DcOs token starts with \"dcos1:\"");
        var separator = text.LastIndexOf(':');
        var principal = text[TokenPrefix.Length..Math.Max(separator, TokenPrefix.Length)];
        if (separator < TokenPrefix.Length || principal.Length == 0) throw new FormatException("a DcOs token is dcos1:<principal>:<secret>");
        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(FromBase64Url(text[(separator + 1)..]));
        }
        catch (FormatException)
        {
            throw new FormatException($"the secret of the token for '{principal}' is not base64url");
        }
        if (secret.Length < 16) throw new FormatException($"the secret of the token for '{principal}' is shorter than 16 bytes");
        return new ClientCredentials(principal, role, secret);
    }

    /// <summary>The token form of these credentials (see <see cref="FromToken"/>); it holds the secret, so keep it like one.</summary>
    /// <exception cref="InvalidOperationException">There is no secret.</exception>
    public string ToToken() =>
        TokenPrefix + Principal + ":" + Convert.ToBase64String(Secret ?? throw new InvalidOperationException("credentials without a secret have no token"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return (s.Length % 4) switch
        {
            2 => s + "==",
            3 => s + "=",
            _ => s,
        };
    }

    /// <summary>The principal and role only: a secret is never printed.</summary>
    public override string ToString() => $"{Principal} as {Role}";
}
