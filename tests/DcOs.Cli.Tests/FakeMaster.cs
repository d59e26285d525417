using System.Net;
using System.Text;

namespace DcOs.Cli.Tests;

/// <summary>One request the CLI sent.</summary>
public sealed record RecordedRequest(string Method, Uri Uri, string? Body, string? Authorization = null)
{
    public string Path => Uri.AbsolutePath;

    public string PathAndQuery => Uri.PathAndQuery;
}

/// <summary>
/// A stand-in for the sample master at the HTTP edge: canned JSON per method and path (docs/http-api.md), a queue of
/// answers per route whose last one repeats, and a record of every request.
/// </summary>
public sealed class FakeMaster : HttpMessageHandler
{
    private readonly Dictionary<string, Queue<(HttpStatusCode Status, string Body)>> _routes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public List<RecordedRequest> Requests { get; } = [];

    /// <summary>When set, every request fails with this exception (e.g. connection refused).</summary>
    public Func<Exception>? Failure { get; set; }

    /// <summary>Answers <paramref name="method"/> <paramref name="path"/> (with or without a query) with the JSON; repeated calls queue answers.</summary>
    public FakeMaster On(string method, string path, string json, HttpStatusCode status = HttpStatusCode.OK)
    {
        var key = method + " " + path;
        lock (_gate)
        {
            if (!_routes.TryGetValue(key, out var queue)) _routes[key] = queue = new Queue<(HttpStatusCode, string)>();
            queue.Enqueue((status, json));
        }
        return this;
    }

    public FakeMaster Get(string path, string json, HttpStatusCode status = HttpStatusCode.OK) => On("GET", path, json, status);

    public FakeMaster Post(string path, string json, HttpStatusCode status = HttpStatusCode.OK) => On("POST", path, json, status);

    public FakeMaster Delete(string path, string json, HttpStatusCode status = HttpStatusCode.OK) => On("DELETE", path, json, status);

    public FakeMaster Error(string method, string path, HttpStatusCode status, string message) =>
        On(method, path, $$"""{"error": "{{message}}"}""", status);

    public IEnumerable<RecordedRequest> Sent(string method, string path) => Requests.Where(r => r.Method == method && r.Path == path);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        lock (_gate) Requests.Add(new RecordedRequest(request.Method.Method, request.RequestUri!, body, request.Headers.Authorization?.ToString()));
        if (Failure is { } failure) throw failure();
        (HttpStatusCode Status, string Body) answer;
        lock (_gate)
        {
            var method = request.Method.Method;
            if (!_routes.TryGetValue($"{method} {request.RequestUri!.PathAndQuery}", out var queue) && !_routes.TryGetValue($"{method} {request.RequestUri.AbsolutePath}", out queue))
            {
                answer = (HttpStatusCode.NotFound, """{"error": "no such route in the fake"}""");
            }
            else
            {
                answer = queue.Count > 1 ? queue.Dequeue() : queue.Peek();
            }
        }
        return new HttpResponseMessage(answer.Status) { Content = new StringContent(answer.Body, Encoding.UTF8, "application/json"), RequestMessage = request };
    }
}
