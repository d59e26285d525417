using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DcOs.Transport.Internal;
using DcOs.Transport.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Transport.Tests;

public sealed class ConnectionLifecycleTests
{
    [Fact]
    public async Task Connections_beyond_the_limit_are_refused_with_the_reason()
    {
        var transport = DcOsTransports.CreateTcp(new TransportOptions { MaxConnections = 1 });
        await using var server = new TestServer(await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        var first = await transport.ConnectAsync(server.EndPoint, new ClientCredentials("a", PeerRole.Agent));
        first.Start(new RecordingHandler());
        await server.NextConnectionAsync();
        var e = await Assert.ThrowsAsync<HandshakeFailedException>(() => transport.ConnectAsync(server.EndPoint, new ClientCredentials("b", PeerRole.Agent)).AsTask());
        Assert.Contains("connection limit of 1 reached", e.Reason);
        await first.CloseAsync("done");
    }

    [Fact]
    public async Task A_silent_peer_is_closed_after_the_idle_timeout()
    {
        var time = new FakeTimeProvider();
        var transport = DcOsTransports.CreateInMemory(new TransportOptions { HeartbeatInterval = TimeSpan.FromSeconds(10), IdleTimeout = TimeSpan.FromSeconds(30) }, time);
        await using var server = new TestServer(await transport.ListenAsync(new InMemoryEndPoint("idle")));
        var client = await transport.ConnectAsync(server.EndPoint, new ClientCredentials("quiet", PeerRole.Agent));
        // The client is never started: it sends nothing, not even heartbeats.
        var (_, handler) = await server.NextConnectionAsync();
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.False(handler.ClosedReason.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(15));
        var reason = await handler.ClosedReason.Within();
        Assert.Equal("idle timeout: nothing received for 30 s", reason.Message);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task A_client_heartbeats_as_often_as_the_server_announced_when_that_is_more_often_than_its_own_setting()
    {
        var time = new FakeTimeProvider();
        var server = DcOsTransports.CreateTcp(new TransportOptions { HeartbeatInterval = TimeSpan.FromSeconds(1), IdleTimeout = TimeSpan.FromSeconds(3) }, time);
        var slowClient = DcOsTransports.CreateTcp(new TransportOptions { HeartbeatInterval = TimeSpan.FromSeconds(60), IdleTimeout = TimeSpan.FromSeconds(120) }, time);
        var fastClient = DcOsTransports.CreateTcp(new TransportOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), IdleTimeout = TimeSpan.FromSeconds(120) }, time);
        await using var listener = new TestServer(await server.ListenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)));

        await using var adopted = (MessageConnection)await slowClient.ConnectAsync(listener.EndPoint, new ClientCredentials("slow", PeerRole.Agent));
        await using var kept = (MessageConnection)await fastClient.ConnectAsync(listener.EndPoint, new ClientCredentials("fast", PeerRole.Agent));

        Assert.Equal(TimeSpan.FromSeconds(1), adopted.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), kept.HeartbeatInterval);
    }

    [Fact]
    public async Task A_peer_that_stops_reading_fills_bounded_buffers_and_is_closed_after_the_slow_peer_timeout()
    {
        var time = new FakeTimeProvider();
        var options = new TransportOptions
        {
            MaxFrameSize = 4096,
            MaxHandshakeFrameSize = 4096,
            SendQueueCapacity = 100,
            HeartbeatInterval = TimeSpan.FromMinutes(1),
            IdleTimeout = TimeSpan.FromMinutes(10),
            SlowPeerTimeout = TimeSpan.FromSeconds(5),
        };
        // The stall is seen as an operator sees it: the dcos.transport.sends.stalled gauge of this transport's meters.
        using var meters = new OwnMeterFactory();
        var stalled = 0L;
        var stalledOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "dcos.transport.sends.stalled" && ReferenceEquals(instrument.Meter.Scope, meters)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (Interlocked.Add(ref stalled, value) > 0) stalledOnce.TrySetResult();
        });
        listener.Start();
        var transport = DcOsTransports.CreateInMemory(options, time, meters: meters);
        await using var server = new TestServer(await transport.ListenAsync(new InMemoryEndPoint("slow")));
        var reader = await transport.ConnectAsync(server.EndPoint, new ClientCredentials("never-reads", PeerRole.Framework));
        var (serverSide, handler) = await server.NextConnectionAsync();
        var message = new ErrorMessage { Message = new string('y', 200) };
        // Keep sending (waiting when the queue is full) until the send loop blocks on the full pipe: the peer never reads.
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested) await serverSide.SendAsync(message, stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ConnectionClosedException)
            {
            }
        });
        await stalledOnce.Task.Within();
        // The loop no longer drains, so the bounded queue must refuse within its capacity.
        var refused = false;
        for (var i = 0; i <= options.SendQueueCapacity && !refused; i++) refused = !serverSide.TrySend(message);
        Assert.True(refused, "the bounded queue never filled");
        Assert.Equal(1, Interlocked.Read(ref stalled));
        time.Advance(TimeSpan.FromSeconds(6));
        var reason = await handler.ClosedReason.Within();
        Assert.StartsWith("peer is not reading", reason.Message);
        await Assert.ThrowsAsync<ConnectionClosedException>(() => serverSide.SendAsync(message).AsTask());
        await stop.CancelAsync();
        await producer.Within();
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task Tls_carries_the_protocol_with_a_server_certificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=dcos-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        var server = DcOsTransports.CreateTcp(new TransportOptions { ServerTls = new SslServerAuthenticationOptions { ServerCertificate = certificate } });
        await using var listener = new TestServer(await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        var client = DcOsTransports.CreateTcp(new TransportOptions
        {
            ClientTls = new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString(),
            },
        });
        var connection = await client.ConnectAsync(listener.EndPoint, new ClientCredentials("tls", PeerRole.Operator));
        connection.Start(new RecordingHandler());
        var (_, handler) = await listener.NextConnectionAsync();
        await connection.SendAsync(new ErrorMessage { Message = "over tls" });
        Assert.Equal("over tls", (await handler.NextAsync<ErrorMessage>()).Message);

        // A client that does not trust the certificate fails the TLS handshake.
        var untrusting = DcOsTransports.CreateTcp(new TransportOptions { ClientTls = new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" } });
        await Assert.ThrowsAsync<HandshakeFailedException>(() => untrusting.ConnectAsync(listener.EndPoint, new ClientCredentials("x", PeerRole.Operator)).AsTask());
        await connection.CloseAsync("done");
    }

    [Fact]
    public void Backoff_grows_with_jitter_up_to_its_cap_and_resets()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 2.0, new Random(42));
        var delays = Enumerable.Range(0, 8).Select(_ => backoff.Next().TotalMilliseconds).ToArray();
        double[] ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
        for (var i = 0; i < delays.Length; i++) Assert.InRange(delays[i], ceilings[i] / 2, ceilings[i]);
        Assert.True(delays.Distinct().Count() > 1);
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 50, 100);
    }

    [Fact]
    public async Task A_reconnecting_client_comes_back_after_the_server_drops_it()
    {
        var time = new ObservableTimeProvider();
        var transport = DcOsTransports.CreateInMemory();
        await using var server = new TestServer(await transport.ListenAsync(new InMemoryEndPoint("reconnect")));
        // The server sees a connection before the client's loop has counted it: the test waits on the client's callback.
        var connected = System.Threading.Channels.Channel.CreateUnbounded<int>();
        await using var client = new ReconnectingConnection(transport, [server.EndPoint], () => new ClientCredentials("r", PeerRole.Agent), new RecordingHandler(),
            (_, token) => connected.Writer.WriteAsync(0, token).AsTask(),
            new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), 2, new Random(1)), time);
        client.Start();
        var (first, _) = await server.NextConnectionAsync();
        await first.CloseAsync("server drops the client");
        var delay = await time.NextTimerAsync();
        Assert.InRange(delay, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        time.Advance(delay);
        var (second, _) = await server.NextConnectionAsync();
        await connected.Reader.ReadAsync().AsTask().Within();
        await connected.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(2, client.ConnectionCount);

        // Dropped right after the handshake again: the backoff goes on growing instead of starting over (no storm).
        await second.CloseAsync("server drops the client at once");
        delay = await time.NextTimerAsync();
        Assert.InRange(delay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        time.Advance(delay);
        var (third, _) = await server.NextConnectionAsync();

        // A connection that lasted StableAfter resets it.
        time.Advance(client.StableAfter);
        await third.CloseAsync("server drops a client that was fine for a while");
        delay = await time.NextTimerAsync();
        Assert.InRange(delay, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_client_of_several_masters_tries_the_next_at_once_and_backs_off_only_once_the_list_went_round()
    {
        var time = new ObservableTimeProvider();
        var transport = DcOsTransports.CreateInMemory();
        await using var server = new TestServer(await transport.ListenAsync(new InMemoryEndPoint("second-master")));
        var dead = new InMemoryEndPoint("first-master-is-down");
        // The server sees a connection before the client's loop has counted it: the test waits on the client's callback.
        var connected = System.Threading.Channels.Channel.CreateUnbounded<int>();
        await using var client = new ReconnectingConnection(transport, [dead, server.EndPoint], () => new ClientCredentials("r", PeerRole.Agent), new RecordingHandler(),
            (_, token) => connected.Writer.WriteAsync(0, token).AsTask(), new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), 2, new Random(1)), time);

        // The first master refuses the connect: the second is tried without waiting (no timer on the clock).
        client.Start();
        var (first, _) = await server.NextConnectionAsync();
        await connected.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(1, client.ConnectionCount);

        // When it drops the client, the list starts over (the first is down again) and only then is the backoff waited.
        await first.CloseAsync("the second master stops");
        var delay = await time.NextTimerAsync();
        Assert.InRange(delay, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        time.Advance(delay);
        await server.NextConnectionAsync();
        await connected.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(2, client.ConnectionCount);
    }

    [Fact]
    public async Task Metrics_count_messages_bytes_and_open_connections()
    {
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        // This transport's own meters: tests running in parallel open connections on meters of the same name.
        using var meters = new OwnMeterFactory();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TransportMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => counts.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.Start();
        var transport = DcOsTransports.CreateInMemory(meters: meters);
        await using var server = new TestServer(await transport.ListenAsync(new InMemoryEndPoint("metrics")));
        var client = await transport.ConnectAsync(server.EndPoint, new ClientCredentials("m", PeerRole.Agent));
        client.Start(new RecordingHandler());
        var (_, handler) = await server.NextConnectionAsync();
        for (var i = 0; i < 10; i++) await client.SendAsync(new ErrorMessage { Message = i.ToString() });
        for (var i = 0; i < 10; i++) await handler.NextAsync<ErrorMessage>();
        Assert.True(counts.GetValueOrDefault("dcos.transport.messages.received") >= 10);
        Assert.True(counts.GetValueOrDefault("dcos.transport.bytes.received") > 10 * 5);
        Assert.Equal(2, counts.GetValueOrDefault("dcos.transport.connections.open"));
        await client.CloseAsync("done");
        await handler.ClosedReason.Within();
    }

    [Fact]
    public void AddDcOsTransport_registers_a_validated_transport_and_can_switch_to_in_memory()
    {
        var services = new ServiceCollection();
        services.AddDcOsTransport(o => o.MaxFrameSize = 1 << 20);
        services.AddDcOsTransport();
        using (var provider = services.BuildServiceProvider())
        {
            Assert.Equal("TcpTransport", provider.GetRequiredService<IDcOsTransport>().GetType().Name);
            Assert.Equal(1 << 20, provider.GetRequiredService<IOptions<TransportOptions>>().Value.MaxFrameSize);
        }
        var bad = new ServiceCollection();
        bad.AddDcOsTransport(o => o.IdleTimeout = TimeSpan.FromSeconds(1)).UseInMemoryTransport();
        using var badProvider = bad.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<TransportOptions>>().Value);
        Assert.Contains("IdleTimeout", e.Message);
    }
}

/// <summary>A fake clock that also tells the test when a timer is created, so it can advance exactly past it.</summary>
internal sealed class ObservableTimeProvider : FakeTimeProvider
{
    private readonly global::System.Threading.Channels.Channel<TimeSpan> _timers = global::System.Threading.Channels.Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    public async Task<TimeSpan> NextTimerAsync()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Default);
        return await _timers.Reader.ReadAsync(cts.Token);
    }
}

/// <summary>An <see cref="IMeterFactory"/> whose meters carry it as their scope, so a listener can tell them apart.</summary>
internal sealed class OwnMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (_meters) _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters) meter.Dispose();
            _meters.Clear();
        }
    }
}
