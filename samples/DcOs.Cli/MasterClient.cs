using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace DcOs.Cli;

/// <summary>
/// A thin wrapper over <see cref="HttpClient"/> for the sample master's HTTP API (docs/http-api.md). Every call returns
/// the server's JSON as a <see cref="JsonElement"/> (printed as it is with <c>--json</c>) and turns failures into a
/// <see cref="CliException"/> with a one-line message and the exit code that fits.
/// </summary>
internal sealed class MasterClient : IDisposable
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>camelCase, case-insensitive reading, as the master writes.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly TimeSpan _requestTimeout;

    public MasterClient(string url, HttpMessageHandler? handler, TimeSpan requestTimeout, string? token = null)
    {
        Url = url.TrimEnd('/');
        _requestTimeout = requestTimeout;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = new Uri(Url + "/");
        _http.Timeout = requestTimeout;
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("dcos-cli/" + Cli.Version);
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        if (token is { Length: > 0 }) _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The master's URL as shown in messages, without a trailing slash.</summary>
    public string Url { get; }

    /// <summary>Checks and normalises a master URL given by the user; "host:port" becomes "http://host:port".</summary>
    public static string NormalizeUrl(string text, string source)
    {
        var candidate = text.Trim();
        if (!candidate.Contains("://", StringComparison.Ordinal)) candidate = "http://" + candidate;
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            throw new UsageException($"{source}: '{text}' is not an http(s) URL such as {DefaultUrl}");
        return candidate.TrimEnd('/');
    }

    /// <summary>The path of an app: "/team/web" becomes "api/apps/team/web".</summary>
    public static string AppPath(string appId) => "api/apps/" + string.Join('/', AppKey(appId).Split('/').Select(Uri.EscapeDataString));

    /// <summary>An app id without its leading and trailing slashes, as the master's URLs use it.</summary>
    public static string AppKey(string appId) => appId.Trim().Trim('/');

    public static string Segment(string id) => Uri.EscapeDataString(id);

    public Task<JsonElement> GetAsync(string path, string? notFound, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, notFound, cancellationToken);

    public Task<JsonElement> PostJsonAsync(string path, string? json, string? notFound, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"), notFound, cancellationToken);

    public Task<JsonElement> DeleteAsync(string path, string? notFound, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, null, notFound, cancellationToken);

    /// <summary>Sends one request; <paramref name="notFound"/> is the message for a 404 (e.g. "unknown app 'web'").</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent? body, string? notFound, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body };
        HttpStatusCode status;
        string text;
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            status = response.StatusCode;
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(Reason(e));
        }
        catch (IOException e)
        {
            throw Unreachable(Reason(e));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {_requestTimeout.TotalSeconds:0} s");
        }
        var code = (int)status;
        if (code is >= 200 and < 300)
        {
            if (string.IsNullOrWhiteSpace(text)) return default;
            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new CliException(ExitCodes.Error, $"the master at {Url} answered {method} /{path} with something that is not JSON; is --master right?");
            }
        }
        var error = ErrorText(text) ?? $"{status}";
        throw code switch
        {
            404 => new CliException(ExitCodes.Error, notFound ?? $"the master at {Url} does not serve {method} /{path} (404: {error}); is --master right?"),
            400 or 413 or 422 => new RefusedException(error),
            401 or 403 => new CliException(ExitCodes.Error, error),
            409 => new CliException(ExitCodes.Error, error),
            503 => new CliException(ExitCodes.Error, $"the master is not ready: {error}"),
            >= 500 => new CliException(ExitCodes.Error, $"the master failed: {error} (HTTP {code})"),
            _ => new CliException(ExitCodes.Error, $"{error} (HTTP {code})"),
        };
    }

    /// <summary>Reads a typed view of an answer; a shape it cannot read is an error, not a crash.</summary>
    public static T Read<T>(JsonElement element, string what)
    {
        try
        {
            return element.Deserialize<T>(JsonOptions) ?? throw new JsonException("empty answer");
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.Error, $"cannot read the master's {what}: {Output.OneLine(e.Message)}");
        }
    }

    public void Dispose() => _http.Dispose();

    private CliException Unreachable(string reason) =>
        new(ExitCodes.Unreachable, $"cannot reach the master at {Url} ({reason}); start it or set --master / DCOS_MASTER");

    private static string? ErrorText(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in new[] { "error", "message", "detail", "title" })
                {
                    if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s)
                        return Output.OneLine(s);
                }
            }
            return null;
        }
        catch (JsonException)
        {
            var line = Output.OneLine(text);
            return line.StartsWith('<') || line.Length > 300 ? null : line;
        }
    }

    private static string Reason(Exception e)
    {
        for (var inner = (Exception?)e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.HostUnreachable => "host unreachable",
                    SocketError.NetworkUnreachable or SocketError.NetworkDown => "network unreachable",
                    SocketError.ConnectionReset => "connection reset",
                    SocketError.AddressNotAvailable => "address not available",
                    var other => other.ToString(),
                };
            }
        }
        if (e is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }) return "host not found";
        if (e is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }) return "TLS handshake failed";
        return Output.OneLine(e.InnerException?.Message ?? e.Message).TrimEnd('.');
    }
}
