using System.Net;
using System.Net.Sockets;
using System.Text;
using DcOs.Core;

namespace DcOs.Agent.Tests;

public sealed class HealthCheckTests : IAsyncLifetime
{
    private MasterDouble _master = null!;
    private TestAgent _agent = null!;

    public async ValueTask InitializeAsync()
    {
        _master = await MasterDouble.StartTcpAsync();
        _agent = await TestAgent.StartAsync(_master);
    }

    public async ValueTask DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _master.DisposeAsync();
    }

    private static HealthCheckSpec Fast(HealthCheckKind kind) => new()
    {
        Kind = kind,
        Delay = TimeSpan.Zero,
        Interval = TimeSpan.FromMilliseconds(100),
        Timeout = TimeSpan.FromSeconds(2),
        GracePeriod = TimeSpan.Zero,
        ConsecutiveFailures = 3,
    };

    [Fact]
    public async Task A_command_check_reports_healthy_then_kills_the_task_after_consecutive_failures()
    {
        var check = Fast(HealthCheckKind.Command) with { Command = CommandSpec.FromShell("test -f healthy") };
        await _master.RunAsync("fw", Tasks.Shell("cmd", "touch healthy; sleep 60", health: check, grace: TimeSpan.FromMilliseconds(500)));

        await _master.WaitUntilAsync(() => _master.UpdatesOf("cmd").Any(u => u.Healthy == true), "a healthy update");
        var healthy = _master.UpdatesOf("cmd").First(u => u.Healthy == true);
        Assert.Equal(TaskState.Running, healthy.State);
        Assert.Equal(TaskStatusReason.TaskHealthCheckStatusUpdated, healthy.Reason);

        File.Delete(Path.Combine(_agent.Sandbox("fw", "cmd"), "healthy"));
        var updates = await _master.TerminalAsync("cmd");

        Assert.Contains(updates, u => u.State == TaskState.Running && u.Healthy == false);
        var end = updates[^1];
        Assert.Equal(TaskState.Killed, end.State);
        Assert.Equal(TaskStatusReason.TaskUnhealthy, end.Reason);
        Assert.Contains("failed 3 consecutive health checks", end.Message);
        Assert.False(end.Healthy);
    }

    [Fact]
    public async Task An_http_check_follows_the_status_code()
    {
        await using var server = new TinyHttpServer();
        // The check finds the port through the task's PORT0, so the agent must offer the server's port.
        await _agent.DisposeAsync();
        _agent = await TestAgent.StartAsync(_master, o => o.Ports = $"{server.Port}-{server.Port}");
        var check = Fast(HealthCheckKind.Http) with { Path = "/health" };
        await _master.RunAsync("fw", Tasks.Shell("web", "sleep 60", ports: $"[{server.Port}-{server.Port}]", health: check, grace: TimeSpan.FromMilliseconds(500)));

        await _master.WaitUntilAsync(() => _master.UpdatesOf("web").Any(u => u.Healthy == true), "a healthy update");
        Assert.Contains("/health", server.Paths);
        server.Status = 503;
        var end = (await _master.TerminalAsync("web"))[^1];

        Assert.Equal(TaskState.Killed, end.State);
        Assert.Equal(TaskStatusReason.TaskUnhealthy, end.Reason);
        Assert.Contains("answered 503", end.Message);
    }

    [Fact]
    public async Task A_tcp_check_fails_once_nothing_listens()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var check = Fast(HealthCheckKind.Tcp) with { Port = port };
        await _master.RunAsync("fw", Tasks.Shell("tcp", "sleep 60", health: check, grace: TimeSpan.FromMilliseconds(500)));

        await _master.WaitUntilAsync(() => _master.UpdatesOf("tcp").Any(u => u.Healthy == true), "a healthy update");
        listener.Stop();
        var end = (await _master.TerminalAsync("tcp"))[^1];

        Assert.Equal(TaskState.Killed, end.State);
        Assert.Equal(TaskStatusReason.TaskUnhealthy, end.Reason);
    }

    [Fact]
    public async Task Failures_in_the_grace_period_do_not_count()
    {
        var check = Fast(HealthCheckKind.Command) with { Command = CommandSpec.FromShell("echo check >> checks; test -f ready"), GracePeriod = TimeSpan.FromMinutes(10) };
        await _master.RunAsync("fw", Tasks.Shell("slow", "sleep 60", health: check));
        await _master.WaitForStateAsync("slow", TaskState.Running);
        var sandbox = _agent.Sandbox("fw", "slow");
        var checks = Path.Combine(sandbox, "checks");
        // Several failing checks run (each leaves a line); none is reported, and the task is not killed.
        await Processes.WaitUntilAsync(() => File.Exists(checks) && File.ReadAllLines(checks).Length >= 4, "four checks");
        Assert.DoesNotContain(_master.UpdatesOf("slow"), u => u.Healthy is not null);
        File.WriteAllText(Path.Combine(sandbox, "ready"), "");
        await _master.WaitUntilAsync(() => _master.UpdatesOf("slow").Any(u => u.Healthy == true), "a healthy update");
        Assert.Equal(TaskState.Running, _master.UpdatesOf("slow")[^1].State);
    }

    /// <summary>An HTTP/1.1 server on a loopback port answering every request with <see cref="Status"/>.</summary>
    private sealed class TinyHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public TinyHttpServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = Task.Run(LoopAsync);
        }

        public int Port { get; }

        public volatile int Status = 200;

        public List<string> Paths { get; } = [];

        private async Task LoopAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    var stream = client.GetStream();
                    var buffer = new byte[4096];
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    var requestLine = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0].Split(' ');
                    if (requestLine.Length > 1) lock (Paths) Paths.Add(requestLine[1]);
                    var body = Encoding.ASCII.GetBytes($"HTTP/1.1 {Status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(body, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
        }
    }
}
