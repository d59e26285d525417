using System.Runtime.InteropServices;

namespace DcOs.Agent.Internal.Linux;

/// <summary>
/// The few libc calls the agent needs that .NET does not expose: posix_spawn with a new session, signals to process
/// groups, pidfds and epoll to learn of exits without a thread per task. Linux only (x64 and arm64, glibc).
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGSTOP = 19;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int ECHILD = 10;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;
    public const int O_CLOEXEC = 0x80000;

    /// <summary>O_NOFOLLOW differs between x86 (0400000) and the generic table used by arm64 (0100000).</summary>
    public static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 ? 0x20000 : 0x8000;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    public const int P_PIDFD = 3;
    public const int WEXITED = 4;
    public const int WNOHANG = 1;

    public const int CLD_EXITED = 1;
    public const int CLD_KILLED = 2;
    public const int CLD_DUMPED = 3;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 1;

    /// <summary>pidfd_open has the same number on every architecture (new syscalls share one table since 5.1).</summary>
    public const long SYS_pidfd_open = 434;

    /// <summary>Opaque glibc structures are smaller than this (posix_spawnattr_t 336, file actions 80, sigset_t 128 bytes).</summary>
    public const int OpaqueSize = 1024;

    /// <summary>siginfo_t is 128 bytes; for SIGCHLD, si_code is at 8 and si_status at 24 on 64-bit Linux.</summary>
    public const int SigInfoSize = 128;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(Lib)]
    public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport(Lib)]
    public static partial int sigfillset(void* set);

    [LibraryImport(Lib)]
    public static partial int sigemptyset(void* set);

    [LibraryImport(Lib)]
    public static partial int sigdelset(void* set, int signal);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial long syscall(long number, long arg1, long arg2);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitid(int idType, int id, void* info, int options);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, void* evt);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_wait(int epfd, void* events, int maxEvents, int timeout);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int eventfd(uint initial, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fsync(int fd);

    [LibraryImport(Lib)]
    public static partial uint geteuid();

    [LibraryImport(Lib)]
    public static partial uint getegid();

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chown(string path, int owner, int group);

    /// <summary>fsyncs a directory, so a rename in it survives a machine crash; best effort.</summary>
    public static void FsyncDirectory(string path)
    {
        var fd = open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) return;
        fsync(fd);
        close(fd);
    }

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial long sysconf(int name);

    /// <summary>epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    public static void WriteEpollEvent(byte* buffer, uint events, long data)
    {
        *(uint*)buffer = events;
        *(long*)(buffer + EpollDataOffset) = data;
    }

    public static long ReadEpollData(byte* buffer) => *(long*)(buffer + EpollDataOffset);

    /// <summary>The text of an errno value, as strerror gives it.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
