using DcOs.Agent.Internal.Updates;
using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Tests;

public sealed class UpdateLogTests : IDisposable
{
    private readonly string _dir = TestAgent.NewWorkDir();

    public void Dispose() => TestFiles.DeleteDirectory(_dir);

    private static StatusUpdate Update(string task, TaskState state) => new()
    {
        FrameworkId = new FrameworkId("fw"),
        Status = new TaskStatusUpdate { TaskId = new TaskId(task), State = state, UpdateId = Guid.NewGuid(), Timestamp = DateTimeOffset.UnixEpoch },
    };

    private string WriteLog(params DcOsMessage[] records)
    {
        var path = Path.Combine(_dir, "status-updates.log");
        File.WriteAllBytes(path, records.SelectMany(UpdateLog.Frame).ToArray());
        return path;
    }

    [Fact]
    public void Records_round_trip()
    {
        var a = Update("a", TaskState.Starting);
        var ack = new StatusUpdateAck { FrameworkId = a.FrameworkId, TaskId = a.Status!.TaskId, UpdateId = a.Status.UpdateId };
        var problems = new List<string>();
        var records = UpdateLog.Read(WriteLog(a, ack), problems);
        Assert.Empty(problems);
        Assert.Equal(2, records.Count);
        Assert.Equal(a.Status.UpdateId, Assert.IsType<StatusUpdate>(records[0]).Status!.UpdateId);
        Assert.Equal(a.Status.UpdateId, Assert.IsType<StatusUpdateAck>(records[1]).UpdateId);
    }

    [Fact]
    public void A_torn_last_record_is_dropped_and_reported()
    {
        var path = WriteLog(Update("a", TaskState.Starting), Update("a", TaskState.Running));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^7]);
        var problems = new List<string>();

        var records = UpdateLog.Read(path, problems);

        Assert.Single(records);
        Assert.Contains(problems, p => p.Contains("not a complete record"));
    }

    [Fact]
    public void A_corrupt_record_in_the_middle_is_skipped_and_the_rest_recovered()
    {
        var first = Update("a", TaskState.Starting);
        var second = Update("a", TaskState.Running);
        var third = Update("a", TaskState.Finished);
        var path = WriteLog(first, second, third);
        var bytes = File.ReadAllBytes(path);
        var secondStart = UpdateLog.Frame(first).Length;
        bytes[secondStart + 20] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var problems = new List<string>();

        var records = UpdateLog.Read(path, problems);

        Assert.Equal([first.Status!.UpdateId, third.Status!.UpdateId], records.Cast<StatusUpdate>().Select(r => r.Status!.UpdateId));
        Assert.Contains(problems, p => p.Contains("corrupt bytes") && p.Contains("recovered"));
    }

    [Fact]
    public void Garbage_is_reported_not_fatal()
    {
        var path = Path.Combine(_dir, "status-updates.log");
        File.WriteAllText(path, "this is not an update log");
        var problems = new List<string>();
        Assert.Empty(UpdateLog.Read(path, problems));
        Assert.Single(problems);
    }

    [Fact]
    public async Task The_manager_restores_pending_updates_and_forgets_acknowledged_ones()
    {
        var a1 = Update("a", TaskState.Starting);
        var a2 = Update("a", TaskState.Running);
        var b1 = Update("b", TaskState.Finished);
        var path = WriteLog(a1, new StatusUpdateAck { FrameworkId = a1.FrameworkId, TaskId = a1.Status!.TaskId, UpdateId = a1.Status.UpdateId }, a2, a2, b1);
        var manager = new StatusUpdateManager(TimeProvider.System, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        manager.Restore(UpdateLog.Read(path, []));

        Assert.Equal(TaskState.Running, manager.Latest(new FrameworkId("fw"), new TaskId("a"))!.State);
        Assert.True(manager.HasPending(new FrameworkId("fw"), new TaskId("a")));
        // The duplicate of a2 (written twice, as after a compaction race) counts once.
        var snapshot = manager.Snapshot();
        Assert.Equal(4, snapshot.Count); // a1 + its ack (the state), a2, b1

        await using (var log = UpdateLog.Open(path, snapshot, _ => { }))
        {
        }
        var reread = UpdateLog.Read(path, []);
        Assert.Equal(4, reread.Count);
        manager.Dispose();
    }

    [Fact]
    public async Task A_full_disk_is_reported_the_updates_still_go_out_and_writing_resumes_when_it_has_room()
    {
        var path = Path.Combine(_dir, "status-updates.log");
        var disk = new DiskThatFills(path);
        var durable = new List<object>();
        var errors = new List<IOException>();
        await using (var log = new UpdateLog(path, disk.Open, batch => { lock (durable) durable.AddRange(batch); }, e => { lock (errors) errors.Add(e); }, null, 50_000))
        {
            var before = Update("a", TaskState.Starting);
            log.Append(before, "before");
            await log.FlushAsync();

            disk.Full = true;
            log.Append(Update("a", TaskState.Running), "while-full");
            try
            {
                // Fails when the flush request lands in the failing batch; succeeds (nothing left to write) when the
                // writer took the record alone first. Either way that batch's failure was reported before this returns.
                await log.FlushAsync();
            }
            catch (IOException)
            {
            }

            disk.Full = false;
            var after = Update("a", TaskState.Finished);
            log.Append(after, "after");
            await log.FlushAsync();

            lock (durable) Assert.Equal(["before", "while-full", "after"], durable);
            lock (errors) Assert.Contains("No space left", Assert.Single(errors).Message);
            // The file was reopened after the failure: the writes before and after it are on disk.
            Assert.Equal(2, disk.Opens);
            var problems = new List<string>();
            Assert.Equal([before.Status!.UpdateId, after.Status!.UpdateId], UpdateLog.Read(path, problems).Cast<StatusUpdate>().Select(u => u.Status!.UpdateId));
        }
    }

    /// <summary>A real file whose writes fail with ENOSPC while <see cref="Full"/> is set.</summary>
    private sealed class DiskThatFills(string path)
    {
        public volatile bool Full;

        public int Opens { get; private set; }

        public Stream Open()
        {
            Opens++;
            return new FailingStream(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), this);
        }

        private sealed class FailingStream(FileStream inner, DiskThatFills disk) : Stream
        {
            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => inner.Length;
            public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
            public override void Flush() => Fail(inner.Flush);
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => Fail(() => inner.Write(buffer, offset, count));

            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }

            private void Fail(Action action)
            {
                if (disk.Full) throw new IOException("No space left on device");
                action();
            }
        }
    }
}
