using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using DcOs.Agent.Internal.Health;
using DcOs.Agent.Internal.Linux;
using DcOs.Core;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Agent.Tests;

/// <summary>
/// The health checker's clock on a fake time provider: Mesos' defaults, the delay before the first check, the interval,
/// and the timeout of command and HTTP checks (real processes and a real socket that never answers).
/// </summary>
public sealed class HealthCheckerTimingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public void The_defaults_are_mesos_defaults()
    {
        var spec = new HealthCheckSpec { Kind = HealthCheckKind.Tcp };
        Assert.Equal(TimeSpan.FromSeconds(15), spec.Delay);
        Assert.Equal(TimeSpan.FromSeconds(10), spec.Interval);
        Assert.Equal(TimeSpan.FromSeconds(20), spec.Timeout);
        Assert.Equal(3, spec.ConsecutiveFailures);
        // Mesos' HealthCheck.grace_period_seconds (Marathon's app definitions use 300 s).
        Assert.Equal(TimeSpan.FromSeconds(10), spec.GracePeriod);
    }

    [Fact]
    public async Task The_first_check_comes_after_the_delay_and_the_next_after_each_interval()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var checks = Channel.CreateUnbounded<DateTimeOffset>();
        var task = TaskWith(new HealthCheckSpec { Kind = HealthCheckKind.Command, Command = CommandSpec.FromShell("true") });
        var checker = new HealthChecker(task, time, (_, _, _) =>
        {
            checks.Writer.TryWrite(time.GetUtcNow());
            return Task.FromResult((true, "ok"));
        });
        using var stop = new CancellationTokenSource();
        var changes = new List<bool>();
        var run = checker.RunAsync(time.GetUtcNow(), (healthy, _) => changes.Add(healthy), _ => { }, stop.Token);

        time.Advance(TimeSpan.FromSeconds(14.9));
        Assert.False(checks.Reader.TryRead(out _));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(15), await checks.Reader.ReadAsync().AsTask().WaitAsync(Wait));

        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(checks.Reader.TryRead(out _));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(25), await checks.Reader.ReadAsync().AsTask().WaitAsync(Wait));
        // Healthy once: one change reported, not one per check.
        Assert.Equal([true], changes);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Wait));
    }

    [Fact]
    public async Task A_command_check_that_outlives_its_timeout_fails_and_its_process_is_killed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var reaper = new ProcessReaper();
        var pidFile = Path.Combine(Path.GetTempPath(), "dcos-check-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var check = HealthChecker.RunCommandAsync(reaper, time, ["/bin/sh", "-c", $"echo $$ > {pidFile}; exec sleep 60"], [], TimeSpan.FromSeconds(20), CancellationToken.None);
            await Processes.WaitUntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the check to start");
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

            time.Advance(TimeSpan.FromSeconds(19));
            Assert.False(check.IsCompleted);
            time.Advance(TimeSpan.FromSeconds(1));
            var (ok, detail) = await check.WaitAsync(Wait);

            Assert.False(ok);
            Assert.Equal("command check timed out after 20 s", detail);
            await Processes.WaitUntilAsync(() => !Processes.Exists(pid), "the timed-out check to be killed");
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    [Fact]
    public async Task An_http_server_that_accepts_but_never_answers_fails_the_check_at_the_timeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var task = TaskWith(new HealthCheckSpec
        {
            Kind = HealthCheckKind.Http,
            Port = port,
            Path = "/health",
            Delay = TimeSpan.Zero,
            GracePeriod = TimeSpan.Zero,
            ConsecutiveFailures = 1,
        });
        var unhealthy = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var checker = new HealthChecker(task, time, (_, _, _) => throw new InvalidOperationException("not a command check"));

        var run = checker.RunAsync(time.GetUtcNow(), (_, _) => { }, reason => unhealthy.TrySetResult(reason), CancellationToken.None);
        // The connection is accepted by the listener's backlog; the request is never answered.
        using var accepted = await silent.AcceptSocketAsync().WaitAsync(Wait);
        Assert.False(unhealthy.Task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal($"failed 1 consecutive health checks (last: Http check on port {port} timed out after 20 s)", await unhealthy.Task.WaitAsync(Wait));
        await run.WaitAsync(Wait);
    }

    private static TaskSpec TaskWith(HealthCheckSpec check) => new()
    {
        Id = new TaskId("checked"),
        Command = CommandSpec.FromShell("sleep 60"),
        Resources = Resources.FromScalars(cpus: 0.1, memMb: 32),
        HealthCheck = check,
    };
}
