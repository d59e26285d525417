using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;

namespace DcOs.Agent.Internal.Linux;

/// <summary>
/// Starts a process with posix_spawn: a new session (so it leads its own process group and the agent can signal the
/// whole group), every signal back to its default disposition (.NET ignores SIGPIPE, and ignored signals survive exec),
/// an empty signal mask, stdin from /dev/null and stdout/stderr appended to files. glibc's posix_spawn uses
/// CLONE_VFORK, so starting a process costs no copy of the agent's address space and no thread.
/// </summary>
internal static unsafe class ProcessSpawner
{
    /// <summary>Starts <paramref name="path"/>; returns its pid.</summary>
    /// <exception cref="Win32Exception">posix_spawn failed (the message is strerror's).</exception>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, string stdoutPath, string stderrPath)
    {
        using var arena = new NativeArena();
        var pathPtr = arena.String(path);
        var argvPtr = arena.StringArray(argv);
        var envPtr = arena.StringArray(environment);
        var devNull = arena.String("/dev/null");
        var stdoutPtr = arena.String(stdoutPath);
        var stderrPtr = arena.String(stderrPath);

        var actions = NativeMemory.AllocZeroed(LibC.OpaqueSize);
        var attr = NativeMemory.AllocZeroed(LibC.OpaqueSize);
        var allSignals = NativeMemory.AllocZeroed(LibC.OpaqueSize);
        var noSignals = NativeMemory.AllocZeroed(LibC.OpaqueSize);
        var actionsReady = false;
        var attrReady = false;
        try
        {
            Check(LibC.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            actionsReady = true;
            Check(LibC.posix_spawnattr_init(attr), "posix_spawnattr_init");
            attrReady = true;
            Check(LibC.posix_spawn_file_actions_addopen(actions, 0, devNull, LibC.O_RDONLY, 0), "addopen stdin");
            Check(LibC.posix_spawn_file_actions_addopen(actions, 1, stdoutPtr, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND, 0x1A4), "addopen stdout");
            Check(LibC.posix_spawn_file_actions_addopen(actions, 2, stderrPtr, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND, 0x1A4), "addopen stderr");
            LibC.sigfillset(allSignals);
            LibC.sigdelset(allSignals, LibC.SIGKILL);
            LibC.sigdelset(allSignals, LibC.SIGSTOP);
            LibC.sigemptyset(noSignals);
            Check(LibC.posix_spawnattr_setsigdefault(attr, allSignals), "posix_spawnattr_setsigdefault");
            Check(LibC.posix_spawnattr_setsigmask(attr, noSignals), "posix_spawnattr_setsigmask");
            Check(LibC.posix_spawnattr_setflags(attr, LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK), "posix_spawnattr_setflags");
            var error = LibC.posix_spawn(out var pid, pathPtr, actions, attr, argvPtr, envPtr);
            if (error != 0) throw new Win32Exception(error, $"could not start {path}: {LibC.Describe(error)}");
            return pid;
        }
        finally
        {
            if (actionsReady) LibC.posix_spawn_file_actions_destroy(actions);
            if (attrReady) LibC.posix_spawnattr_destroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            NativeMemory.Free(allSignals);
            NativeMemory.Free(noSignals);
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0) throw new Win32Exception(error, $"{what} failed: {LibC.Describe(error)}");
    }

    /// <summary>NUL-terminated UTF-8 strings and pointer arrays in one native block list, freed together.</summary>
    private sealed class NativeArena : IDisposable
    {
        private readonly List<nint> _blocks = [];

        public byte* String(string value)
        {
            var count = Encoding.UTF8.GetByteCount(value);
            var p = (byte*)Allocate(count + 1);
            fixed (char* chars = value) Encoding.UTF8.GetBytes(chars, value.Length, p, count);
            p[count] = 0;
            return p;
        }

        public byte** StringArray(IReadOnlyList<string> values)
        {
            var array = (byte**)Allocate((values.Count + 1) * sizeof(nint));
            for (var i = 0; i < values.Count; i++) array[i] = String(values[i]);
            array[values.Count] = null;
            return array;
        }

        private void* Allocate(int bytes)
        {
            var p = NativeMemory.Alloc((nuint)bytes);
            _blocks.Add((nint)p);
            return p;
        }

        public void Dispose()
        {
            foreach (var p in _blocks) NativeMemory.Free((void*)p);
            _blocks.Clear();
        }
    }
}
