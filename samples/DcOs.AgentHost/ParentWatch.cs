using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DcOs.AgentHost;

/// <summary>
/// An agent started by a master on its machine (the sample master's local agents, <c>--parent-pid</c>) stops when that
/// master dies, however it dies (kill -9 included), so no orphan agent keeps running tasks nobody schedules. The parent
/// is watched rather than signalled through PR_SET_PDEATHSIG, which fires when the launching *thread* ends, and .NET
/// starts processes from pool threads. Once a second, the agent checks that its parent is still the one it was given.
/// </summary>
internal sealed partial class ParentWatch(int parentPid, IHostApplicationLifetime lifetime, ILogger<ParentWatch> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            if (getppid() != parentPid)
            {
                Log.ParentGone(logger, parentPid);
                lifetime.StopApplication();
                return;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LibraryImport("libc")]
    private static partial int getppid();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The master that started this agent (pid {Pid}) is gone; stopping")]
        public static partial void ParentGone(ILogger logger, int pid);
    }
}
