using System.Diagnostics;
using System.Net;
using DcOs.Transport;
using DcOs.Transport.Messages;

namespace DcOs.Benchmarks.Transport;

/// <summary>DcOs over loopback TCP: one connection, messages pipelined from one sender, counted by the server's handler.</summary>
public static class DcOsThroughput
{
    public static async Task<double> MessagesPerSecondAsync(int count)
    {
        var transport = DcOsTransports.CreateTcp();
        await using var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long received = 0;
        var accept = listener.AcceptAsync().AsTask();
        var client = await transport.ConnectAsync(listener.LocalEndPoint, TransportWorkload.Client);
        var server = (await accept)!;
        server.Start(MessageHandler.Create(_ =>
        {
            if (++received == count) done.TrySetResult();
            return ValueTask.CompletedTask;
        }));
        client.Start(MessageHandler.Create(_ => ValueTask.CompletedTask));
        var message = TransportWorkload.Message;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            if (!client.TrySend(message)) await client.SendAsync(message);
        }
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        watch.Stop();
        await client.CloseAsync("done");
        await server.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        return count / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Sequential request/response round trips; returns sorted microseconds.</summary>
    public static async Task<double[]> RoundTripsMicrosAsync(int count)
    {
        var transport = DcOsTransports.CreateTcp();
        await using var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accept = listener.AcceptAsync().AsTask();
        var client = await transport.ConnectAsync(listener.LocalEndPoint, TransportWorkload.Client);
        var server = (await accept)!;
        var reply = new Heartbeat();
        server.Start(MessageHandler.Create(m => m.Message is Request ? m.ReplyAsync(reply) : ValueTask.CompletedTask));
        client.Start(MessageHandler.Create(_ => ValueTask.CompletedTask));
        var question = TransportWorkload.Message;
        for (var i = 0; i < 500; i++) await client.RequestAsync(question, TimeSpan.FromSeconds(10));
        var samples = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await client.RequestAsync(question, TimeSpan.FromSeconds(10));
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        await client.CloseAsync("done");
        Array.Sort(samples);
        return samples;
    }
}
