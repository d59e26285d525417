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

    private readonly Stream _stream;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly Task _receiving;
    private readonly Task _sending;
    private int _disposed;

    public StreamPipe(Stream stream, TransportOptions options)
    {
        _stream = stream;
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
            minimumSegmentSize: SegmentSize,
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
                    foreach (var segment in buffer) await _stream.WriteAsync(segment).ConfigureAwait(false);
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
                if (result.IsCompleted || result.IsCanceled) break;
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
