using System.Diagnostics;
using System.Globalization;
using System.Net;
using DcOs.SampleMaster.Security;
using DcOs.Scheduling.Master;
using Microsoft.Extensions.Options;

namespace DcOs.SampleMaster.LocalAgents;

/// <summary>
/// Starts <c>--local-agents N</c> agent processes on this machine, each with its own work dir under the data dir, a
/// share of the machine's cpus and memory, its own port range and a price and speed from the options, so one command
/// gives a working, priced cluster. They stop with the master, however it stops (a parent watch), and leave their tasks
/// running: the next start's local agents recover them from the same work dirs, so a restart keeps every task.
/// Remote agents run the agent host themselves: <c>dotnet DcOs.AgentHost.dll --master HOST:5050 --token-file join.token --work-dir DIR</c>.
/// </summary>
public sealed partial class LocalAgentLauncher(IOptions<SampleMasterOptions> options, IMaster master, SampleSecurity security, ILogger<LocalAgentLauncher> logger) : IHostedService
{
    private readonly List<Process> _agents = [];
    private volatile bool _stopping;

    public IReadOnlyList<Process> Processes => _agents;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.LocalAgents == 0) return Task.CompletedTask;
        var host = FindAgentHost(o.AgentHost);
        var endPoint = (IPEndPoint)SampleSecurity.Reachable(master.LocalEndPoint!);
        var cpus = Math.Max(0.5, Math.Round(Environment.ProcessorCount / (double)o.LocalAgents, 2));
        var memMb = Math.Max(256, Math.Floor(TotalMemoryMb() * 0.5 / o.LocalAgents));
        for (var i = 0; i < o.LocalAgents; i++)
        {
            var workDir = Path.GetFullPath(Path.Combine(o.DataDir, "agents", $"agent-{i + 1}"));
            Directory.CreateDirectory(workDir);
            var ports = $"{31000 + i * 1000}-{31000 + i * 1000 + 999}";
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
                     {
                         host, "--master", $"{endPoint.Address}:{endPoint.Port}", "--work-dir", workDir,
                         "--cpus", cpus.ToString(CultureInfo.InvariantCulture), "--mem", memMb.ToString(CultureInfo.InvariantCulture),
                         "--ports", ports, "--hostname", $"local-agent-{i + 1}", "--kill-tasks-on-shutdown", "false",
                         "--attributes", $"rack:r{i + 1};zone:local", "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                         "--Agent:Cost:MachinePerHour", o.AgentPrice(i).ToString(CultureInfo.InvariantCulture),
                         "--Agent:Cost:SpeedFactor", o.AgentSpeed(i).ToString(CultureInfo.InvariantCulture),
                     })
            {
                info.ArgumentList.Add(arg);
            }
            if (o.AgentGpuDevices is { } gpus && i < gpus.Length)
            {
                info.ArgumentList.Add("--gpu-devices");
                info.ArgumentList.Add(gpus[i]);
            }
            if (security.Cluster is { } cluster)
            {
                info.ArgumentList.Add("--token-file");
                info.ArgumentList.Add(cluster.JoinTokenFile);
            }
            if (security.TrustFile is { } trust)
            {
                info.ArgumentList.Add("--tls-trust");
                info.ArgumentList.Add(trust);
            }
            if (o.TlsClientCa is not null)
            {
                // The master requires client certificates: its local agents present the master's own.
                info.ArgumentList.Add("--tls-cert");
                info.ArgumentList.Add(Path.GetFullPath(o.TlsCert!));
                if (o.TlsKey is { } key)
                {
                    info.ArgumentList.Add("--tls-key");
                    info.ArgumentList.Add(Path.GetFullPath(key));
                }
            }
            var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start agent {i + 1}");
            var log = new StreamWriter(Path.Combine(workDir, "agent.log"), append: true) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            // An agent that ends on its own (its work dir locked by another, bad settings) is said, not silently lost.
            var number = i + 1;
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) =>
            {
                if (!_stopping) Log.Exited(logger, number, process.Id, process.ExitCode, Path.Combine(workDir, "agent.log"));
            };
            _agents.Add(process);
            Log.Started(logger, i + 1, process.Id, workDir);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Asks each agent to stop (SIGTERM): it leaves its tasks running, as a Mesos agent does, so that the next start of
    /// the master (whose local agents recover them from their work dirs) keeps them, same pids; a task whose agent does
    /// not come back within its recovery timeout (15 min) ends itself. The process tree of an agent still running after
    /// a few seconds is killed.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        foreach (var process in _agents.Where(p => !p.HasExited)) _ = SendSigterm(process.Id);
        foreach (var process in _agents)
        {
            try
            {
                try
                {
                    await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(8), cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                Log.StopFailed(logger, process.Id, e.Message);
            }
        }
    }

    /// <summary>DcOs.AgentHost.dll from the option, next to this program, or built in the repository.</summary>
    private static string FindAgentHost(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? Path.GetFullPath(configured) : throw new FileNotFoundException($"DcOs:AgentHost points to a missing file: {configured}");
        var beside = Path.Combine(AppContext.BaseDirectory, "DcOs.AgentHost.dll");
        if (File.Exists(beside) && File.Exists(Path.ChangeExtension(beside, ".runtimeconfig.json"))) return beside;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var project = Path.Combine(dir.FullName, "samples", "DcOs.AgentHost", "bin");
            if (!Directory.Exists(project)) continue;
            var built = Directory.GetFiles(project, "DcOs.AgentHost.dll", SearchOption.AllDirectories)
                .Where(f => File.Exists(Path.ChangeExtension(f, ".runtimeconfig.json")))
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault();
            if (built is not null) return built;
        }
        throw new FileNotFoundException("DcOs.AgentHost.dll was not found; build samples/DcOs.AgentHost or set DcOs:AgentHost");
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private static int SendSigterm(int pid) => OperatingSystem.IsWindows() ? -1 : Kill(pid, 15);

    private static double TotalMemoryMb()
    {
        foreach (var line in File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo") : [])
        {
            if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
            var kb = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return kb / 1024;
        }
        return 4096;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Started local agent {Number} (pid {Pid}) in {WorkDir}")]
        public static partial void Started(ILogger logger, int number, int pid, string workDir);

        [LoggerMessage(2, LogLevel.Warning, "Could not stop agent process {Pid}: {Reason}")]
        public static partial void StopFailed(ILogger logger, int pid, string reason);

        [LoggerMessage(3, LogLevel.Error, "Local agent {Number} (pid {Pid}) exited with code {Code}; its log: {Log}")]
        public static partial void Exited(ILogger logger, int number, int pid, int code, string log);
    }
}
