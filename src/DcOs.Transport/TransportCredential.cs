namespace DcOs.Transport;

/// <summary>A principal a server accepts: its shared secret (never sent on the wire) and the role it may act in.</summary>
/// <param name="Principal">The name the peer presents.</param>
/// <param name="Secret">The shared secret, at least 16 bytes.</param>
/// <param name="Role">The role granted to the principal.</param>
public sealed record TransportCredential(string Principal, byte[] Secret, PeerRole Role);
