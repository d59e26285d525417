using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DcOs.Agent.Internal.Linux;
using DcOs.Agent.Internal.Tasks;
using DcOs.Core;

namespace DcOs.Agent.Internal.Health;

/// <summary>
/// Runs one task's health check with Mesos' semantics: the first check after <see cref="HealthCheckSpec.Delay"/>, then
/// one every <see cref="HealthCheckSpec.Interval"/>, each bounded by <see cref="HealthCheckSpec.Timeout"/>; failures
/// inside <see cref="HealthCheckSpec.GracePeriod"/> from the task's start do not count until the task has been healthy
/// once; <see cref="HealthCheckSpec.ConsecutiveFailures"/> counted failures in a row make the task unhealthy for good.
/// One async loop per task, timed by <see cref="TimeProvider"/>; no thread of its own.
/// </summary>
internal sealed class HealthChecker
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.Zero,
    });

    private readonly HealthCheckSpec _spec;
    private readonly TaskSpec _task;
    private readonly TimeProvider _time;
    private readonly Func<CommandSpec, TimeSpan, CancellationToken, Task<(bool Ok, string Detail)>> _runCommand;

    public HealthChecker(TaskSpec task, TimeProvider time, Func<CommandSpec, TimeSpan, CancellationToken, Task<(bool Ok, string Detail)>> runCommand)
    {
        _task = task;
        _spec = task.HealthCheck!;
        _time = time;
        _runCommand = runCommand;
    }

    /// <summary>
    /// Checks until cancelled or until the task is unhealthy beyond the threshold. <paramref name="onChange"/> gets each
    /// change of health (the first result included); <paramref name="onUnhealthy"/> is called once, with the reason.
    /// </summary>
    public async Task RunAsync(DateTimeOffset taskStarted, Action<bool, string> onChange, Action<string> onUnhealthy, CancellationToken cancellationToken)
    {
        bool? healthy = null;
        var everHealthy = false;
        var failures = 0;
        await Task.Delay(_spec.Delay, _time, cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            var (ok, detail) = await ProbeAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (ok)
            {
                failures = 0;
                everHealthy = true;
                if (healthy != true)
                {
                    healthy = true;
                    onChange(true, detail);
                }
            }
            else if (everHealthy || _time.GetUtcNow() - taskStarted >= _spec.GracePeriod)
            {
                failures++;
                if (healthy != false)
                {
                    healthy = false;
                    onChange(false, detail);
                }
                if (failures >= _spec.ConsecutiveFailures)
                {
                    onUnhealthy(string.Create(CultureInfo.InvariantCulture, $"failed {failures} consecutive health checks (last: {detail})"));
                    return;
                }
            }
            await Task.Delay(_spec.Interval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(bool Ok, string Detail)> ProbeAsync(CancellationToken cancellationToken)
    {
        if (_spec.Kind == HealthCheckKind.Command) return await _runCommand(_spec.Command!, _spec.Timeout, cancellationToken).ConfigureAwait(false);
        var port = _spec.Port ?? (int)TaskWrapper.PortsOf(_task)[_spec.PortIndex];
        using var timeout = new CancellationTokenSource(_spec.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            if (_spec.Kind == HealthCheckKind.Tcp)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), linked.Token).ConfigureAwait(false);
                return (true, $"TCP connect to port {port} succeeded");
            }
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{_spec.Path}");
            // A new connection per check, as Mesos' curl does: a pooled connection would hide a server that stopped accepting.
            request.Headers.ConnectionClose = true;
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return (code is >= 200 and < 400, $"HTTP GET {_spec.Path} on port {port} answered {code}");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (false, $"{_spec.Kind} check on port {port} timed out after {_spec.Timeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException)
        {
            return (false, $"{_spec.Kind} check on port {port} failed: {e.Message}");
        }
    }

    /// <summary>Runs a command check as a process in the task's sandbox and cgroup; exit 0 is healthy.</summary>
    public static async Task<(bool Ok, string Detail)> RunCommandAsync(ProcessReaper reaper, TimeProvider time, List<string> argv, List<string> environment,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        int pid;
        try
        {
            pid = ProcessSpawner.Spawn(TaskWrapper.Shell, argv, environment, "/dev/null", "/dev/null");
        }
        catch (Win32Exception e)
        {
            return (false, "could not start the check: " + e.Message);
        }
        var exit = reaper.WatchChild(pid, killGroupOnExit: true);
        using var timer = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            var status = await exit.WaitAsync(linked.Token).ConfigureAwait(false);
            return (status.IsSuccess, "command check " + ExitStatus.FromShellStatus(status.Code ?? 128 + (status.Signal ?? 0)).Describe());
        }
        catch (OperationCanceledException)
        {
            // Timed out, or the task ended: the check's whole process group goes; the reaper collects it.
            LibC.kill(-pid, LibC.SIGKILL);
            cancellationToken.ThrowIfCancellationRequested();
            return (false, $"command check timed out after {timeout.TotalSeconds:0.###} s");
        }
    }
}
