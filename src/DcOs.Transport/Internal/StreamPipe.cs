using System.Buffers;
using System.IO.Pipelines;

namespace DcOs.Transport.Internal;

/// <summary>
/// The socket layer of a TCP connection: two pumps between a <see cref="Stream"/> (a socket's NetworkStream, or an
/// SslStream over it) and a pair of pipes with pause/resume thresholds, as Kestrel does. The receive pump waits for
/// data with a zero-byte read before renting a buffer, so an idle connection holds no receive buffer.
/// </summary>
internal sealed class StreamPipe : IDuplexPipe, IAsyncDisposable
{
    private const int SegmentSize = 64 * 1024;

    /// <summary>
    /// The output pipe's blocks are small (Kestrel's size): a connection can be left holding its last output block
    /// after it went idle (measured: with heartbeats and pings crossing, 36 KB per agent with 64 KiB blocks, 28 KB with
    /// 16 KiB ones, 6 KB with these), and a 4 KiB block caps what that costs. Blocks are coalesced into larger writes.
    /// </summary>
    private const int OutputSegmentSize = 4 * 1024;

    private readonly Stream _stream;
    private readonly Stream _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly Task _receiving;
    private readonly Task _sending;
    private int _disposed;

    /// <param name="stream">What the pumps read and write: the socket's stream, or TLS over it.</param>
    /// <param name="socket">The socket's own stream beneath any TLS (the same as <paramref name="stream"/> without TLS).</param>
    /// <param name="options">The transport's limits.</param>
    public StreamPipe(Stream stream, Stream socket, TransportOptions options)
    {
        _stream = stream;
        _socket = socket;
        var inputPause = options.InputPauseThreshold;
        _input = new Pipe(new PipeOptions(
            pool: MemoryPool<byte>.Shared,
            pauseWriterThreshold: inputPause,
            resumeWriterThreshold: inputPause / 2,
            minimumSegmentSize: SegmentSize,
            useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(
            pool: MemoryPool<byte>.Shared,
            pauseWriterThreshold: options.OutputPauseThreshold,
            resumeWriterThreshold: options.OutputPauseThreshold / 2,
            minimumSegmentSize: OutputSegmentSize,
            useSynchronizationContext: false));
        _receiving = Task.Run(ReceivePumpAsync);
        _sending = Task.Run(SendPumpAsync);
    }

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    private async Task ReceivePumpAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                // Zero-byte read: wait for data without holding a buffer.
                await _stream.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                var memory = writer.GetMemory(SegmentSize);
                var read = await _stream.ReadAsync(memory).ConfigureAwait(false);
                if (read == 0) break;
                writer.Advance(read);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            error = e is ObjectDisposedException ? null : e;
        }
        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendPumpAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    if (buffer.IsSingleSegment) await _stream.WriteAsync(buffer.First).ConfigureAwait(false);
                    else await WriteCoalescedAsync(buffer).ConfigureAwait(false);
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
                if (result.IsCompleted || result.IsCanceled) break;
                // Going idle: the socket's cached send arguments still reference the buffer just written (a pooled
                // block) until the next send, and so keep it alive after it went back to the pool: 10,000 idle agents
                // held 640 MB that way with 64 KiB blocks. A zero-byte send on the socket itself (beneath TLS) lets go.
                if (reader.TryRead(out var next)) reader.AdvanceTo(next.Buffer.Start);
                else await _socket.WriteAsync(ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
            }
            await _stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection layer learns of it through the input side or its own timeouts.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes many small output blocks as few socket writes: copied into a pooled buffer of up to 64 KiB per write (a
    /// 4 KiB block per write halved a launch's throughput). The socket's reference to that buffer is dropped by the
    /// zero-byte send when the pump goes idle.
    /// </summary>
    private async Task WriteCoalescedAsync(ReadOnlySequence<byte> buffer)
    {
        var scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length, SegmentSize));
        try
        {
            while (!buffer.IsEmpty)
            {
                var chunk = buffer.Slice(0, Math.Min(buffer.Length, scratch.Length));
                chunk.CopyTo(scratch);
                await _stream.WriteAsync(scratch.AsMemory(0, (int)chunk.Length)).ConfigureAwait(false);
                buffer = buffer.Slice(chunk.End);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Let the send pump write what the connection completed, then close the socket, which ends the receive pump.
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _sending.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A peer that does not read: close anyway.
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _receiving.ConfigureAwait(false);
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
    }
}
