using DcOs.Benchmarks.Quick;

namespace DcOs.Benchmarks.Transport;

/// <summary>
/// <c>quick transport</c>: DcOs, gRPC and a raw socket loop side by side in one run, same ~100-byte messages, one loopback
/// TCP connection, pipelined; each throughput is the median of three runs, interleaved so machine noise hits all alike.
/// </summary>
public sealed class TransportQuickSuite : IQuickSuite
{
    private const int Messages = 1_000_000;
    private const int GrpcMessages = 200_000;

    public string Name => "transport";

    public async Task RunAsync(MetricWriter output, CancellationToken cancellationToken)
    {
        output.Write("message_bytes", TransportWorkload.MessageBytes, "bytes");
        // Warm up every path once (JIT, pools, Kestrel).
        await DcOsThroughput.MessagesPerSecondAsync(100_000);
        RawThroughput.MessagesPerSecond(100_000);
        await GrpcThroughput.MessagesPerSecondAsync(20_000);

        var dcos = new List<double>();
        var raw = new List<double>();
        var grpc = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            dcos.Add(await DcOsThroughput.MessagesPerSecondAsync(Messages));
            raw.Add(RawThroughput.MessagesPerSecond(Messages));
            grpc.Add(await GrpcThroughput.MessagesPerSecondAsync(GrpcMessages));
        }
        var dcosMedian = Measure.Median(dcos);
        var rawMedian = Measure.Median(raw);
        var grpcMedian = Measure.Median(grpc);
        output.Write("msgs_per_sec", dcosMedian, "msg/s");
        output.Write("grpc_msgs_per_sec", grpcMedian, "msg/s");
        output.Write("raw_msgs_per_sec", rawMedian, "msg/s");
        output.Write("ratio_vs_grpc", dcosMedian / grpcMedian, "ratio");
        output.Write("ratio_vs_raw", dcosMedian / rawMedian, "ratio");

        var rtt = await DcOsThroughput.RoundTripsMicrosAsync(5_000);
        output.Write("rtt_p50_us", Measure.Percentile(rtt, 50), "us");
        output.Write("rtt_p99_us", Measure.Percentile(rtt, 99), "us");
    }
}
