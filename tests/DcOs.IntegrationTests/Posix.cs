using System.Runtime.InteropServices;

namespace DcOs.IntegrationTests;

/// <summary>Signals for the processes the tests start (SIGTERM asks a program to stop as Ctrl+C would; SIGKILL does not ask).</summary>
internal static class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>SIGSTOP: the process freezes (a hung machine, as far as its peers can tell); SIGCONT resumes it.</summary>
    public const int SigStop = 19;

    public const int SigCont = 18;

    /// <summary>kill(2): a negative <paramref name="pid"/> is a process group.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}
