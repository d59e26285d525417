using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace DcOs.Agent.Internal.Linux;

/// <summary>
/// Learns when processes end, for any number of processes, on one thread: each watched process gets a pidfd, all pidfds
/// sit in one epoll set, and the thread reaps our own children with <c>waitid(P_PIDFD)</c> (exact exit code or signal).
/// Processes that are not our children (re-attached after an agent restart) are only seen to disappear; their status
/// comes from the task wrapper's exit file. Where pidfds are unavailable (kernels before 5.3, strict seccomp profiles)
/// the same thread polls every 50 ms instead.
/// </summary>
/// <remarks>
/// Only the watched pids are waited for, never <c>waitpid(-1)</c>, so children that other code starts with
/// <see cref="System.Diagnostics.Process"/> are left to the runtime.
/// </remarks>
internal sealed unsafe class ProcessReaper : IDisposable
{
    private const int MaxEvents = 64;
    private const int PollMilliseconds = 50;

    private readonly ConcurrentDictionary<int, Watch> _byFd = new();
    private readonly ConcurrentDictionary<int, Watch> _polled = new();
    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _pidfdUnsupported;

    public ProcessReaper()
    {
        _epoll = LibC.epoll_create1(LibC.O_CLOEXEC);
        if (_epoll < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_create1 failed");
        _wake = LibC.eventfd(0, LibC.O_CLOEXEC | 0x800 /* EFD_NONBLOCK */);
        if (_wake < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), "eventfd failed");
        Add(_wake);
        _thread = new Thread(Loop) { IsBackground = true, Name = "dcos-agent-reaper" };
        _thread.Start();
    }

    /// <summary>
    /// Completes with the exit status of <paramref name="pid"/>, which must be our child and not yet reaped. When
    /// <paramref name="killGroupOnExit"/>, the process group led by pid gets SIGKILL just before the leader is reaped
    /// (while the zombie still holds the group id, so the signal cannot reach a process that reused the id).
    /// </summary>
    public Task<ExitStatus> WatchChild(int pid, bool killGroupOnExit) => Start(new Watch(pid, IsChild: true, killGroupOnExit));

    /// <summary>Completes (with <see cref="ExitStatus.Unknown"/>) once <paramref name="pid"/>, not our child, has gone.</summary>
    public Task<ExitStatus> WatchForeign(int pid, ulong startTime) => Start(new Watch(pid, IsChild: false, KillGroupOnExit: false) { StartTime = startTime });

    private Task<ExitStatus> Start(Watch watch)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (Volatile.Read(ref _pidfdUnsupported) == 0)
        {
            var fd = (int)LibC.syscall(LibC.SYS_pidfd_open, watch.Pid, 0);
            if (fd >= 0)
            {
                _byFd[fd] = watch;
                Add(fd);
                return watch.Done.Task;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.ESRCH && !watch.IsChild)
            {
                watch.Done.TrySetResult(ExitStatus.Unknown);
                return watch.Done.Task;
            }
            if (errno != LibC.ENOSYS && errno != LibC.EPERM) throw new Win32Exception(errno, $"pidfd_open({watch.Pid}) failed");
            Volatile.Write(ref _pidfdUnsupported, 1);
        }
        _polled[watch.Pid] = watch;
        Wake();
        return watch.Done.Task;
    }

    private void Add(int fd)
    {
        var evt = stackalloc byte[16];
        LibC.WriteEpollEvent(evt, LibC.EPOLLIN, fd);
        if (LibC.epoll_ctl(_epoll, LibC.EPOLL_CTL_ADD, fd, evt) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_ctl(ADD) failed");
    }

    private void Wake()
    {
        ulong one = 1;
        LibC.write(_wake, &one, sizeof(ulong));
    }

    private void Loop()
    {
        var events = stackalloc byte[MaxEvents * 16];
        while (!_stopping)
        {
            var n = LibC.epoll_wait(_epoll, events, MaxEvents, _polled.IsEmpty ? -1 : PollMilliseconds);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == LibC.EINTR) continue;
                break;
            }
            for (var i = 0; i < n; i++)
            {
                var fd = (int)LibC.ReadEpollData(events + i * LibC.EpollEventSize);
                if (fd == _wake)
                {
                    ulong drained;
                    _ = LibC.read(_wake, &drained, sizeof(ulong));
                    continue;
                }
                if (!_byFd.TryRemove(fd, out var watch)) continue;
                LibC.epoll_ctl(_epoll, LibC.EPOLL_CTL_DEL, fd, null);
                // A "foreign" process may still be our child (an agent restarted inside the same process, as in
                // tests): reap it too, or it stays a zombie. For a true stranger waitid fails with ECHILD.
                var status = ReapPidfd(fd, watch);
                LibC.close(fd);
                watch.Done.TrySetResult(status);
            }
            if (!_polled.IsEmpty) Poll();
        }
    }

    private static ExitStatus ReapPidfd(int fd, Watch watch)
    {
        if (watch.KillGroupOnExit) LibC.kill(-watch.Pid, LibC.SIGKILL);
        var info = stackalloc byte[LibC.SigInfoSize];
        while (true)
        {
            new Span<byte>(info, LibC.SigInfoSize).Clear();
            if (LibC.waitid(LibC.P_PIDFD, fd, info, LibC.WEXITED | (watch.IsChild ? 0 : LibC.WNOHANG)) == 0)
                return *(int*)(info + 16) == 0 ? ExitStatus.Unknown : FromSigInfo(info);
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR) continue;
            if (errno == LibC.EINVAL && watch.IsChild)
            {
                // Linux 5.3 has pidfd_open but not waitid(P_PIDFD): the process has exited, so waitpid returns at once.
                int raw;
                return LibC.waitpid(watch.Pid, &raw, 0) == watch.Pid ? FromWaitStatus(raw) : ExitStatus.Unknown;
            }
            return ExitStatus.Unknown;
        }
    }

    private void Poll()
    {
        foreach (var (pid, watch) in _polled)
        {
            ExitStatus status;
            if (watch.IsChild)
            {
                int raw;
                var r = LibC.waitpid(pid, &raw, LibC.WNOHANG);
                if (r == 0) continue;
                status = r == pid ? FromWaitStatus(raw) : ExitStatus.Unknown;
                if (watch.KillGroupOnExit) LibC.kill(-pid, LibC.SIGKILL);
            }
            else
            {
                if (ProcFs.IsSameProcess(pid, watch.StartTime)) continue;
                status = ExitStatus.Unknown;
            }
            if (_polled.TryRemove(pid, out _)) watch.Done.TrySetResult(status);
        }
    }

    private static ExitStatus FromSigInfo(byte* info)
    {
        var code = *(int*)(info + 8);
        var value = *(int*)(info + 24);
        return code == LibC.CLD_EXITED ? ExitStatus.Exited(value)
            : code is LibC.CLD_KILLED or LibC.CLD_DUMPED ? ExitStatus.Killed(value)
            : ExitStatus.Unknown;
    }

    private static ExitStatus FromWaitStatus(int raw) =>
        (raw & 0x7f) == 0 ? ExitStatus.Exited((raw >> 8) & 0xff) : ExitStatus.Killed(raw & 0x7f);

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        Wake();
        _thread.Join(TimeSpan.FromSeconds(5));
        foreach (var (fd, watch) in _byFd)
        {
            LibC.close(fd);
            watch.Done.TrySetCanceled();
        }
        _byFd.Clear();
        foreach (var watch in _polled.Values) watch.Done.TrySetCanceled();
        _polled.Clear();
        LibC.close(_wake);
        LibC.close(_epoll);
    }

    private sealed record Watch(int Pid, bool IsChild, bool KillGroupOnExit)
    {
        public ulong StartTime { get; init; }

        public TaskCompletionSource<ExitStatus> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
