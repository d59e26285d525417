using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace DcOs.SampleMaster.Security;

/// <summary>
/// Who may call the HTTP API. With the cluster's credentials (the default):
/// <list type="bullet">
/// <item>every call that changes something (POST, PUT, PATCH, DELETE) needs <c>Authorization: Bearer &lt;admin token&gt;</c>;</item>
/// <item>reads (<c>/api</c>, <c>/metrics</c>) need it too unless they come from this machine (loopback);</item>
/// <item>a read without a token must name this machine in <c>Host</c> (DNS rebinding: a page at evil.example resolved to
/// 127.0.0.1 sends <c>Host: evil.example</c>);</item>
/// </list>
/// and always, even with <c>--insecure</c>: a body must be <c>application/json</c> and a request carrying an <c>Origin</c>
/// must come from the API's own origin, so a web page the operator visits cannot post to it (CSRF). The dashboard's
/// files hold no data and are served to anyone who can reach the port.
/// </summary>
public static class ApiSecurity
{
    private static readonly string[] Mutating = ["POST", "PUT", "PATCH", "DELETE"];

    public static void UseApiSecurity(this WebApplication app)
    {
        var security = app.Services.GetRequiredService<SampleSecurity>();
        app.Use(async (context, next) =>
        {
            if (Refusal(context, security) is { } refusal)
            {
                context.Response.StatusCode = refusal.Status;
                if (refusal.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer realm=\"dcos\"";
                await context.Response.WriteAsJsonAsync(new { error = refusal.Message });
                return;
            }
            await next();
        });
    }

    /// <summary>Why the request is refused (status and a message for the caller), or null when it may go on.</summary>
    public static (int Status, string Message)? Refusal(HttpContext context, SampleSecurity security)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        var protectedPath = path.StartsWith("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/metrics", StringComparison.OrdinalIgnoreCase);
        var mutating = Mutating.Contains(request.Method, StringComparer.OrdinalIgnoreCase);
        if (!protectedPath && !mutating) return null;

        if (request.Headers.Origin is { Count: > 0 } origin && !SameOrigin(origin.ToString(), request))
            return (StatusCodes.Status403Forbidden, $"cross-origin request from {origin} refused: the API answers its own dashboard and API clients only");
        if (mutating && HasBody(request) && !IsJson(request.ContentType))
            return (StatusCodes.Status415UnsupportedMediaType, $"send the body as application/json (got {request.ContentType ?? "no Content-Type"})");

        if (security.Cluster is not { } cluster) return null;
        if (HasToken(request, cluster.AdminToken)) return null;
        var presented = request.Headers.Authorization.Count > 0;
        var local = context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
        if (!mutating && local && !presented)
        {
            return IsLocalHost(request.Host.Host)
                ? null
                : (StatusCodes.Status403Forbidden, $"Host '{request.Host}' does not name this machine; without a token only requests to localhost are answered");
        }
        // A wrong token is refused even where none is needed: a client that sends one wants to know it is wrong.
        var why = presented ? "the token is not this cluster's admin token" : "this call needs the admin token";
        return (StatusCodes.Status401Unauthorized, $"{why}: send Authorization: Bearer <token> (it is in {cluster.AdminTokenFile} on the master; 'dcos cluster setup' stores it for the CLI)");
    }

    private static bool HasToken(HttpRequest request, string expected)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(expected));
    }

    private static bool HasBody(HttpRequest request) => request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private static bool IsLocalHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
