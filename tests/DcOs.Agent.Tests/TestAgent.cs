using DcOs.Agent.Internal;
using DcOs.Core;
using DcOs.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DcOs.Agent.Tests;

/// <summary>An in-process agent built the way an application builds it (AddDcOsAgent), with a temporary work directory.</summary>
internal sealed class TestAgent : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly bool _ownsWorkDir;
    private bool _stopped;

    private TestAgent(ServiceProvider services, string workDir, bool ownsWorkDir)
    {
        _services = services;
        WorkDir = workDir;
        _ownsWorkDir = ownsWorkDir;
        Agent = services.GetRequiredService<IDcOsAgent>();
    }

    public IDcOsAgent Agent { get; }

    public AgentRuntime Runtime => (AgentRuntime)Agent;

    public string WorkDir { get; }

    public static string NewWorkDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dcos-agent-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Starts an agent against <paramref name="master"/>: 4 cpus, 4 GiB, ports 31000-31099, killing its tasks when
    /// stopped (so no test leaves a process behind), unless <paramref name="configure"/> says otherwise.
    /// </summary>
    public static async Task<TestAgent> StartAsync(MasterDouble master, Action<AgentOptions>? configure = null, TimeProvider? time = null,
        string? workDir = null, bool waitForRegistration = true, ILoggerFactory? loggers = null)
    {
        var owns = workDir is null;
        workDir ??= NewWorkDir();
        var services = new ServiceCollection();
        if (time is not null) services.AddSingleton(time);
        if (loggers is not null) services.AddSingleton(loggers);
        // The transport keeps real time even when the agent's clock is fake: connection heartbeats are not under test.
        services.AddSingleton(DcOsTransports.CreateTcp());
        services.AddDcOsAgent(o =>
        {
            o.MasterEndPoint = master.EndPoint;
            o.WorkDir = workDir;
            o.Hostname = "test-host";
            o.Cpus = 4;
            o.MemMb = 4096;
            o.DiskMb = 10_000;
            o.Gpus = 0;
            o.Ports = "31000-31099";
            o.Attributes = "rack:r1;zone:z1";
            o.KillTasksOnShutdown = true;
            o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(o);
        });
        var provider = services.BuildServiceProvider();
        var agent = new TestAgent(provider, workDir, owns);
        await agent.Agent.StartAsync();
        if (waitForRegistration) await agent.Agent.WaitUntilRegisteredAsync().WaitAsync(TestTimeouts.Default);
        return agent;
    }

    public string Sandbox(string framework, string task) => Runtime.Paths.SandboxDir(new FrameworkId(framework), new TaskId(task));

    public string MetaDir(string framework, string task) => Runtime.Paths.MetaDir(new FrameworkId(framework), new TaskId(task));

    /// <summary>The task's wrapper pid (its process group), once it runs.</summary>
    public int PidOf(string framework, string task) => Runtime.FindTask(new FrameworkId(framework), new TaskId(task))?.Pid ?? 0;

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        await Agent.StopAsync(timeout.Token);
        await _services.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_ownsWorkDir) TestFiles.DeleteDirectory(WorkDir);
    }
}

internal static class TestFiles
{
    public static void DeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory.
        }
    }
}

/// <summary>Task specs for tests.</summary>
internal static class Tasks
{
    public static TaskSpec Shell(string id, string command, double cpus = 0.2, double memMb = 64, string? ports = null, HealthCheckSpec? health = null,
        TimeSpan? grace = null, IReadOnlyDictionary<string, string>? env = null) => new()
    {
        Id = new TaskId(id),
        Command = new CommandSpec { Shell = command, Environment = env ?? new Dictionary<string, string>() },
        Resources = WithPorts(Resources.FromScalars(cpus, memMb), ports),
        HealthCheck = health,
        KillGracePeriod = grace ?? TaskSpec.DefaultKillGracePeriod,
    };

    public static TaskSpec Argv(string id, params string[] argv) => new()
    {
        Id = new TaskId(id),
        Command = CommandSpec.FromArgv(argv),
        Resources = Resources.FromScalars(0.2, 64),
    };

    private static Resources WithPorts(Resources resources, string? ports) =>
        ports is null ? resources : resources.Add(Resource.OfRanges(ResourceNames.Ports, RangeSet.Parse(ports)));
}

/// <summary>Process checks for tests.</summary>
internal static class Processes
{
    public static bool Exists(int pid) => pid > 0 && Directory.Exists("/proc/" + pid) && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Live processes in the process group <paramref name="pgid"/>.</summary>
    public static List<int> InGroup(int pgid)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[2]) == pgid) result.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return result;
    }

    /// <summary>Waits for a condition on processes, which no event reports: short polls under an overall timeout.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestTimeouts.Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    public static void KillGroup(int pgid)
    {
        if (pgid > 0) _ = Kill(-pgid, 9);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}
