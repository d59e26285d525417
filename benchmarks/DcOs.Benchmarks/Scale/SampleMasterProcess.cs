using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DcOs.Benchmarks.Quick;

namespace DcOs.Benchmarks.Scale;

/// <summary>
/// The sample master as an operator starts it (<c>dotnet DcOs.SampleMaster.dll --listen ... --data-dir ...</c>), in
/// its own process: over TCP each agent is a file descriptor on both sides, so 10,000 agents and their master do not
/// fit one process under a 20,000 open-file limit, and the master's memory and CPU are then its own to measure.
/// Loopback only, <c>--insecure</c> (no tokens to hand out), logging at warnings (10,000 registration lines on a console
/// would measure the console).
/// </summary>
internal sealed class SampleMasterProcess : IDisposable
{
    private readonly Process _process;

    private SampleMasterProcess(Process process, int masterPort, int httpPort)
    {
        _process = process;
        MasterPort = masterPort;
        HttpPort = httpPort;
    }

    public int MasterPort { get; }

    public int HttpPort { get; }

    public IPEndPoint MasterEndPoint => new(IPAddress.Loopback, MasterPort);

    public Uri Http => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>Resident memory now, in bytes.</summary>
    public long RssBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>CPU time used so far (user and kernel).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>A port the OS hands out now (free when returned; the master binds it a moment later).</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Starts the master and waits until its HTTP API answers.</summary>
    public static async Task<SampleMasterProcess> StartAsync(string dataDir, int masterPort, int httpPort, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { SamplePrograms.Path("DcOs.SampleMaster"), "--listen", $"127.0.0.1:{masterPort}", "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dataDir, "--insecure" }) start.ArgumentList.Add(a);
        // For experiments: DCOS_QUICK_SCALE_MASTER_ARGS="--DcOs:Transport:HeartbeatInterval=00:00:20 ..." adds flags.
        foreach (var a in (Environment.GetEnvironmentVariable("DCOS_QUICK_SCALE_MASTER_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(a);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // For experiments: DCOS_QUICK_SCALE_MASTER_ENV="NAME=value;NAME2=value" adds to the master's environment.
        foreach (var pair in (Environment.GetEnvironmentVariable("DCOS_QUICK_SCALE_MASTER_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq > 0) start.Environment[pair[..eq]] = pair[(eq + 1)..];
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the sample master");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var master = new SampleMasterProcess(process, masterPort, httpPort);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                lock (log) throw new InvalidOperationException($"the sample master exited with {process.ExitCode}: {log}");
            }
            try
            {
                using var answer = await http.GetAsync(new Uri(master.Http, "/api/agents"), cancellationToken);
                if (answer.IsSuccessStatusCode) return master;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (deadline.Elapsed > TimeSpan.FromMinutes(1))
            {
                process.Kill(entireProcessTree: true);
                lock (log) throw new TimeoutException($"the sample master did not answer within a minute: {log}");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
