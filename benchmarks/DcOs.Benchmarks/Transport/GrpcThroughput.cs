using System.Diagnostics;
using System.Net;
using DcOs.Benchmarks.Transport.Grpc;
using global::Grpc.Core;
using global::Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DcOs.Benchmarks.Transport;

/// <summary>The same payload over gRPC bidirectional streaming: Grpc.AspNetCore (Kestrel, h2c) and Grpc.Net.Client on loopback.</summary>
public static class GrpcThroughput
{
    public static async Task<double> MessagesPerSecondAsync(int count)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        await using var app = builder.Build();
        app.MapGrpcService<StatusStreamService>();
        await app.StartAsync();
        var address = app.Urls.First();

        using var channel = GrpcChannel.ForAddress(address);
        var client = new StatusStream.StatusStreamClient(channel);
        var message = TransportWorkload.ProtoMessage;
        var watch = Stopwatch.StartNew();
        using var call = client.Stream();
        for (var i = 0; i < count; i++) await call.RequestStream.WriteAsync(message);
        await call.RequestStream.CompleteAsync();
        long received = 0;
        await foreach (var summary in call.ResponseStream.ReadAllAsync()) received = summary.Received;
        watch.Stop();
        await app.StopAsync();
        if (received != count) throw new InvalidOperationException($"gRPC server got {received} of {count}");
        return count / watch.Elapsed.TotalSeconds;
    }

    private sealed class StatusStreamService : StatusStream.StatusStreamBase
    {
        public override async Task Stream(IAsyncStreamReader<StatusUpdateProto> requestStream, IServerStreamWriter<StreamSummary> responseStream, ServerCallContext context)
        {
            long received = 0;
            while (await requestStream.MoveNext(context.CancellationToken)) received++;
            await responseStream.WriteAsync(new StreamSummary { Received = received });
        }
    }
}
