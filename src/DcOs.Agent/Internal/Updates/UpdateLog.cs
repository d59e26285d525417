using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Threading.Channels;
using DcOs.Agent.Internal.Linux;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;
using MessagePack;

namespace DcOs.Agent.Internal.Updates;

/// <summary>
/// The append-only status-update log: every <see cref="StatusUpdate"/> is written and fsync'd here before it is sent,
/// and every <see cref="StatusUpdateAck"/> is written after it arrives, so a restarted agent knows which updates the
/// framework has not acknowledged yet. One writer loop does group commit: it drains every queued record, writes them,
/// fsyncs once, then reports the batch durable; a thousand updates queued at once cost one fsync, not a thousand.
/// </summary>
/// <remarks>
/// Record: magic "DCU1", payload length (u32 LE), CRC-32 of the payload (u32 LE), payload (the message in the wire
/// format). Reading skips what does not check out: a torn tail (the agent died mid-write) is cut off, a corrupt record
/// in the middle is skipped by searching for the next magic, and both are reported. Replaying twice the same update id
/// counts once, so compaction racing with appends is harmless.
/// </remarks>
internal sealed class UpdateLog : IAsyncDisposable
{
    private const uint Magic = 0x31554344; // "DCU1" little-endian
    private const int HeaderSize = 12;
    private const int MaxRecordSize = 16 * 1024 * 1024;

    private readonly string _path;
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Action<List<object>> _onDurable;
    private readonly Action<IOException>? _onError;
    private readonly Func<IReadOnlyList<DcOsMessage>>? _snapshot;
    private readonly Func<Stream> _openForAppend;
    private readonly int _compactAfter;
    private readonly Task _writer;
    private Stream? _file;
    private int _sinceCompaction;

    /// <summary>The log at <paramref name="path"/>; <paramref name="openForAppend"/> opens it (tests: a disk that fails).</summary>
    internal UpdateLog(string path, Func<Stream> openForAppend, Action<List<object>> onDurable, Action<IOException>? onError,
        Func<IReadOnlyList<DcOsMessage>>? snapshot, int compactAfter)
    {
        _path = path;
        _openForAppend = openForAppend;
        _file = openForAppend();
        _onDurable = onDurable;
        _onError = onError;
        _snapshot = snapshot;
        _compactAfter = compactAfter;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Reads every record that checks out; <paramref name="problems"/> says what was skipped or cut.</summary>
    public static List<DcOsMessage> Read(string path, List<string> problems)
    {
        var records = new List<DcOsMessage>();
        if (!File.Exists(path)) return records;
        var data = File.ReadAllBytes(path);
        var offset = 0;
        while (offset < data.Length)
        {
            var status = TryReadRecord(data, offset, out var length, out var message, out var error);
            if (status == RecordStatus.Ok)
            {
                records.Add(message!);
                offset += HeaderSize + length;
                continue;
            }
            // Find the next record that checks out; everything before it is lost.
            var next = FindNextRecord(data, offset + 1);
            if (next < 0)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetFileName(path)}: {data.Length - offset} bytes at offset {offset} are not a complete record ({error}); they were dropped (a write cut short when the agent stopped)"));
                break;
            }
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(path)}: {next - offset} corrupt bytes at offset {offset} ({error}) were skipped; the records after them were recovered"));
            offset = next;
        }
        return records;
    }

    /// <summary>
    /// Rewrites the log with <paramref name="live"/> only (temp file, fsync, rename), then opens it for appending.
    /// <paramref name="onDurable"/> receives the tokens of each batch once it is on disk (or once the disk failed, see
    /// <see cref="WriteLoopAsync"/>); <paramref name="onError"/> hears of each failure; <paramref name="snapshot"/>
    /// supplies the live records when the log has grown by <paramref name="compactAfter"/> records.
    /// </summary>
    public static UpdateLog Open(string path, IReadOnlyList<DcOsMessage> live, Action<List<object>> onDurable,
        Action<IOException>? onError = null, Func<IReadOnlyList<DcOsMessage>>? snapshot = null, int compactAfter = 50_000)
    {
        Rewrite(path, live);
        return new UpdateLog(path, () => OpenForAppend(path), onDurable, onError, snapshot, compactAfter);
    }

    /// <summary>Queues <paramref name="record"/>; <paramref name="token"/> (if any) is reported durable after the fsync that covers it.</summary>
    public void Append(DcOsMessage record, object? token)
    {
        if (!_queue.Writer.TryWrite(new Item(Frame(record), token, null)))
            throw new ObjectDisposedException(nameof(UpdateLog), "the update log is closed");
    }

    /// <summary>Waits until everything queued so far is on disk.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite(new Item(null, null, done)) ? done.Task : Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        if (_file is not null) await _file.DisposeAsync().ConfigureAwait(false);
    }

    /// <remarks>
    /// A full or failing disk must not stop the agent nor its updates (Mesos aborts the agent instead; a scheduler SDK
    /// embedded in someone's process should not): the failure is reported to <c>onError</c>, the batch is reported
    /// durable so its updates are still sent (without the crash safety the log gives them), the file is reopened so a
    /// half-written buffer is dropped, and the next batch tries the disk again. A record cut short by the failure is
    /// skipped on reading like any corrupt record.
    /// </remarks>
    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var tokens = new List<object>();
        var flushes = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var written = 0;
            var mustSync = false;
            IOException? failure = null;
            while (reader.TryRead(out var item))
            {
                if (item.Frame is not null && failure is null)
                {
                    try
                    {
                        (_file ??= _openForAppend()).Write(item.Frame);
                        written++;
                    }
                    catch (IOException e)
                    {
                        failure = e;
                    }
                }
                if (item.Token is not null) tokens.Add(item.Token);
                if (item.Flushed is not null) flushes.Add(item.Flushed);
                mustSync |= item.Token is not null || item.Flushed is not null;
            }
            // Updates wait for the disk; acknowledgements alone only go to the OS: losing one in a machine crash
            // means the update is sent once more, which the framework deduplicates by update id.
            if (failure is null && (mustSync || written > 0)) failure = TryFlush(flushToDisk: mustSync);
            if (failure is not null)
            {
                _onError?.Invoke(failure);
                foreach (var f in flushes) f.TrySetException(failure);
                flushes.Clear();
                CloseFile();
            }
            _sinceCompaction += written;
            if (tokens.Count > 0)
            {
                var batch = tokens;
                tokens = [];
                _onDurable(batch);
            }
            foreach (var f in flushes) f.TrySetResult();
            flushes.Clear();
            if (_snapshot is not null && _sinceCompaction >= _compactAfter) Compact(_snapshot());
        }
        if (TryFlush(flushToDisk: true) is { } last) _onError?.Invoke(last);
    }

    private IOException? TryFlush(bool flushToDisk)
    {
        try
        {
            if (_file is FileStream file) file.Flush(flushToDisk);
            else _file?.Flush();
            return null;
        }
        catch (IOException e)
        {
            return e;
        }
    }

    private void CloseFile()
    {
        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // Disposing flushes the same buffer that just failed; the failure is reported already.
        }
        _file = null;
    }

    private void Compact(IReadOnlyList<DcOsMessage> live)
    {
        CloseFile();
        try
        {
            Rewrite(_path, live);
            _sinceCompaction = 0;
        }
        catch (IOException e)
        {
            // The old log is intact (the rewrite goes to a temp file first); appending to it goes on.
            _onError?.Invoke(e);
        }
    }

    private static void Rewrite(string path, IReadOnlyList<DcOsMessage> live)
    {
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, AgentPaths.PrivateFile(FileMode.Create, FileShare.None)))
        {
            foreach (var record in live) file.Write(Frame(record));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        LibC.FsyncDirectory(Path.GetDirectoryName(path)!);
    }

    private static FileStream OpenForAppend(string path) => new(path, AgentPaths.PrivateFile(FileMode.Append, FileShare.Read));

    internal static byte[] Frame(DcOsMessage record)
    {
        var payload = DcOsSerializer.ToBytes(record);
        var frame = new byte[HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), Crc32.Compute(payload));
        payload.CopyTo(frame, HeaderSize);
        return frame;
    }

    private static RecordStatus TryReadRecord(byte[] data, int offset, out int length, out DcOsMessage? message, out string error)
    {
        length = 0;
        message = null;
        error = "";
        if (data.Length - offset < HeaderSize)
        {
            error = "header cut short";
            return RecordStatus.Bad;
        }
        var span = data.AsSpan(offset);
        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic)
        {
            error = "no record marker";
            return RecordStatus.Bad;
        }
        var size = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
        if (size > MaxRecordSize || size > (uint)(data.Length - offset - HeaderSize))
        {
            error = "length runs past the end";
            return RecordStatus.Bad;
        }
        length = (int)size;
        var payload = span.Slice(HeaderSize, length);
        if (BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != Crc32.Compute(payload))
        {
            error = "checksum mismatch";
            return RecordStatus.Bad;
        }
        try
        {
            message = DcOsSerializer.Deserialize(new ReadOnlySequence<byte>(data, offset + HeaderSize, length));
        }
        catch (MessagePackSerializationException e)
        {
            error = "unreadable payload: " + e.GetBaseException().Message;
            return RecordStatus.Bad;
        }
        if (message is not (StatusUpdate or StatusUpdateAck))
        {
            error = $"unexpected {message.GetType().Name} record";
            return RecordStatus.Bad;
        }
        return RecordStatus.Ok;
    }

    private static int FindNextRecord(byte[] data, int from)
    {
        var magic = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, Magic);
        for (var i = from; i <= data.Length - HeaderSize; i++)
        {
            var found = data.AsSpan(i).IndexOf(magic);
            if (found < 0) return -1;
            i += found;
            if (TryReadRecord(data, i, out _, out _, out _) == RecordStatus.Ok) return i;
        }
        return -1;
    }

    private enum RecordStatus
    {
        Ok,
        Bad,
    }

    private readonly record struct Item(byte[]? Frame, object? Token, TaskCompletionSource? Flushed);
}
