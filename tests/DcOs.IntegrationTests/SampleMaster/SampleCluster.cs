using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>
/// The sample master started the way a user starts it: a real process with real local agent processes, a data dir of
/// its own, ports from the OS. Disposing stops it as a user does (see <see cref="StopAsync"/>) and deletes the dir.
/// </summary>
internal sealed class SampleCluster : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _dataDir;
    private readonly bool _ownsDataDir;
    private readonly List<string> _output = [];

    private SampleCluster(Process process, DirectoryInfo dataDir, bool ownsDataDir, Uri api, HttpMessageHandler? handler)
    {
        _process = process;
        _dataDir = dataDir;
        _ownsDataDir = ownsDataDir;
        Http = handler is null ? new HttpClient() : new HttpClient(handler);
        Api = api;
        Http.Timeout = TimeSpan.FromSeconds(30);
    }

    public Uri Api
    {
        get;
        private set
        {
            field = value;
            Http.BaseAddress = value;
        }
    }

    public HttpClient Http { get; }

    public string DataDir => _dataDir.FullName;

    /// <summary>The API's admin token the master wrote into its data dir on first start (see docs/security.md).</summary>
    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DcOs.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("DcOs.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The built program <paramref name="project"/> (e.g. "DcOs.SampleMaster") of the same configuration as the tests.</summary>
    public static string Program(string project, string? assembly = null)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryRoot(), "samples", project, "bin", configuration, "net10.0", (assembly ?? project) + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; build the solution first");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Task<SampleCluster> StartAsync(int localAgents, params string[] extraArgs) => StartCoreAsync(localAgents, handler: null, dataDir: null, extraArgs);

    /// <summary>Starts the master; <paramref name="handler"/> is the API client's (e.g. one that trusts a test's TLS certificate).</summary>
    public static Task<SampleCluster> StartAsync(int localAgents, HttpMessageHandler? handler, params string[] extraArgs) => StartCoreAsync(localAgents, handler, dataDir: null, extraArgs);

    /// <summary>Starts the master on the test's own data dir, which disposing keeps (a restart, a small disk).</summary>
    public static Task<SampleCluster> StartOnAsync(string dataDir, int localAgents) => StartCoreAsync(localAgents, handler: null, dataDir, []);

    private static async Task<SampleCluster> StartCoreAsync(int localAgents, HttpMessageHandler? handler, string? dataDir, string[] extraArgs)
    {
        var data = dataDir is null ? Directory.CreateTempSubdirectory("dcos-sample-") : new DirectoryInfo(dataDir);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Program("DcOs.SampleMaster"), "--http-port", "0", "--master-port", "0", "--data-dir", data.FullName, "--local-agents", localAgents.ToString() })
            info.ArgumentList.Add(a);
        foreach (var a in extraArgs) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Both ports come from the OS (a port picked free beforehand may be handed to the master's own listener meanwhile);
        // the API's is read from the line the master prints once it listens.
        var cluster = new SampleCluster(process, data, ownsDataDir: dataDir is null, new Uri("http://127.0.0.1:1/"), handler);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (cluster._output) cluster._output.Add(e.Data);
            if (e.Data.StartsWith("dcos: api ", StringComparison.Ordinal) && e.Data.Split(' ') is [_, _, var url, ..] && Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var api))
            {
                cluster.Api = api;
                ready.TrySetResult(api);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (cluster._output) cluster._output.Add(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != ready.Task)
        {
            await cluster.DisposeAsync();
            throw new InvalidOperationException("the sample master did not start:\n" + cluster.Output);
        }
        // The test acts as the operator: every request carries the admin token.
        if (File.Exists(Path.Combine(cluster.DataDir, "admin.token")))
            cluster.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", cluster.AdminToken);
        await cluster.EventuallyAsync(async () => (await cluster.GetAsync("api/agents")).EnumerateArray().Count(a => a.GetProperty("status").GetString() == "Active") == localAgents,
            TimeSpan.FromSeconds(90), $"{localAgents} active agents");
        return cluster;
    }

    public string Output
    {
        get
        {
            lock (_output) return string.Join('\n', _output.TakeLast(200));
        }
    }

    public async Task<JsonElement> GetAsync(string path) => await Http.GetFromJsonAsync<JsonElement>(path);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds. An end-to-end test watches other processes (tasks started by
    /// agents), which raise no event this test can await; the poll is short and bounded by <paramref name="timeout"/>.
    /// </summary>
    public async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException)
            {
                // The API may be briefly busy; keep trying until the deadline.
            }
            if (deadline.Elapsed > timeout) throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}\n--- sample master output ---\n{Output}");
            if (_process.HasExited) throw new InvalidOperationException($"the sample master exited ({_process.ExitCode}) while waiting for {what}\n{Output}");
            await Task.Delay(200);
        }
    }

    /// <summary>kill -9 of the master process alone (not its children): what a crash or the OOM killer does.</summary>
    public void KillMaster()
    {
        _ = Posix.Kill(_process.Id, 9);
        _process.WaitForExit(TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// Stops the master as a user does (Ctrl+C, SIGTERM): it stops its local agents, which leave their tasks running
    /// for the next start. SIGKILL to the whole tree only if that does not finish in 20 s. Idempotent.
    /// </summary>
    public async Task StopAsync()
    {
        try
        {
            if (!_process.HasExited) _ = Posix.Kill(_process.Id, Posix.SigTerm);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // Already gone, or beyond saving: the test reports its own failure.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopAsync();
        // Local agents leave their tasks running when the master stops (a restart keeps them): the test's are ended here.
        if (OperatingSystem.IsLinux()) ProcessTable.KillUnder(DataDir);
        _process.Dispose();
        if (!_ownsDataDir) return;
        try
        {
            _dataDir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
