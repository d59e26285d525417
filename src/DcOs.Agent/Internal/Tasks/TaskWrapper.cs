using System.Globalization;
using DcOs.Core;

namespace DcOs.Agent.Internal.Tasks;

/// <summary>
/// Builds the command line and environment of a task. Every task runs under a small POSIX shell wrapper, started by
/// posix_spawn in a new session (so the task's processes share one process group the agent can signal):
/// <list type="number">
/// <item>it writes its pid and start time (field 22 of /proc/self/stat) to meta/.../pid: the identity a restarted
/// agent checks before re-attaching, written by the process itself, so no launch leaves a window without it;</item>
/// <item>it writes its pid to the task's cgroup.procs files, so the command starts inside the cgroup;</item>
/// <item>it runs the command as the task's user through setpriv when that is not the agent's (the wrapper itself
/// stays the agent's user, so it can write the exit file the task cannot touch);</item>
/// <item>it runs the command as its child (argv directly, shell text in a subshell) and traps SIGTERM, so when the
/// agent signals the group the command gets SIGTERM and the wrapper lives on to record how it ended;</item>
/// <item>it writes the command's status to meta/.../exit and exits with it.</item>
/// </list>
/// The wrapper is the agent's child, so a running agent learns the exact status from waitid; an agent restarted while
/// the task ran is no longer the parent and reads the exit file instead. dash starts in about half a millisecond.
/// </summary>
internal static class TaskWrapper
{
    public const string Shell = "/bin/sh";

    /// <summary>
    /// $1 meta dir, $2 sandbox, $3 mode (s: shell text, a: argv), $4 "setpriv uid:gid" or "-", $5 "alive-file seconds"
    /// or "-", then cgroup.procs files, "--", the command. With $5, a watchdog in the background checks once per recovery
    /// timeout that the agent touched its alive file since the last check (-nt against a file it truncates: no process
    /// but one sleep per period; a sleep cut short counts no period), and when it did not, records it and ends the
    /// task: TERM, KILL 10 s later. When the command ends, the wrapper stops its watchdog (and the watchdog's sleep).
    /// </summary>
    private const string Script =
        "m=$1 d=$2 k=$3 u=$4 w=$5\n" +
        "shift 5\n" +
        "i() { echo \"$1 ${22}\"; }\n" +
        "read -r t < /proc/self/stat\n" +
        "i $t > \"$m/pid\"\n" +
        "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || { echo \"dcos-agent: could not join cgroup $1\" >&2; exit 125; }; shift; done\n" +
        "shift\n" +
        "cd \"$d\" || exit 126\n" +
        "trap : HUP INT TERM\n" +
        "g=\n" +
        "if [ \"$w\" != - ]; then\n" +
        "  (trap '' HUP INT TERM; f=${w% *} t=${w#* } r=\"$m/alive-check\"\n" +
        "   while :; do : > \"$r\"; sleep \"$t\" & p=$!; echo $p > \"$m/wd\"; wait $p || continue; [ \"$f\" -nt \"$r\" ] || break; done\n" +
        "   echo \"$t\" > \"$m/orphaned\"; kill -s TERM -- -$$; sleep 10 & echo $! > \"$m/wd\"; wait $!; kill -s KILL -- -$$) > /dev/null 2>&1 &\n" +
        "  g=$!\n" +
        "fi\n" +
        Run +
        "s=$?\n" +
        "if [ -n \"$g\" ]; then q=; read -r q < \"$m/wd\" 2> /dev/null; kill -s KILL $g $q 2> /dev/null; fi\n" +
        "echo $s > \"$m/exit\"\n" +
        "exit $s\n";

    /// <summary>Health-check commands: join the task's cgroup, run in its sandbox as the task's user, no status file.</summary>
    private const string CheckScript =
        "d=$1 k=$2 u=$3\n" +
        "shift 3\n" +
        "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done\n" +
        "shift\n" +
        "cd \"$d\" || exit 126\n" +
        "if [ \"$u\" = - ]; then\n" +
        "  if [ \"$k\" = s ]; then eval \"$1\"; else exec \"$@\"; fi\n" +
        "fi\n" +
        "p=${u% *} i=${u#* }; o=${i##*:} i=${i%:*}\n" +
        "if [ \"$k\" = s ]; then set -- /bin/sh -c \"$1\"; fi\n" +
        "exec \"$p\" --reuid=\"${i%:*}\" --regid=\"${i#*:}\" --$o-groups -- \"$@\"\n";

    /// <summary>
    /// Runs the command ($k, $@) as the wrapper's user, or through setpriv as the task's ($u = "path uid:gid:groups",
    /// groups "init" (the user's supplementary groups, from /etc/group) or "clear" (it has none: setpriv skips reading them)).
    /// </summary>
    private const string Run =
        "if [ \"$u\" = - ]; then\n" +
        "  if [ \"$k\" = s ]; then (eval \"$1\"); else \"$@\"; fi\n" +
        "else\n" +
        "  p=${u% *} i=${u#* }; o=${i##*:} i=${i%:*}\n" +
        "  if [ \"$k\" = s ]; then set -- /bin/sh -c \"$1\"; fi\n" +
        "  \"$p\" --reuid=\"${i%:*}\" --regid=\"${i#*:}\" --$o-groups -- \"$@\"\n" +
        "fi\n";

    /// <summary>The wrapper's argv; <paramref name="switchTo"/> is "setpriv-path uid:gid" to run the command as another user, or null.</summary>
    public static List<string> TaskArgv(CommandSpec command, string metaDir, string sandbox, IEnumerable<string> cgroupProcs, string? switchTo = null, string? watch = null)
    {
        var argv = new List<string> { Shell, "-c", Script, "sh", metaDir, sandbox, command.Shell is null ? "a" : "s", switchTo ?? "-", watch ?? "-" };
        argv.AddRange(cgroupProcs);
        argv.Add("--");
        if (command.Shell is not null) argv.Add(command.Shell);
        else argv.AddRange(command.Argv!);
        return argv;
    }

    public static List<string> CheckArgv(CommandSpec command, string sandbox, IEnumerable<string> cgroupProcs, string? switchTo = null)
    {
        var argv = new List<string> { Shell, "-c", CheckScript, "sh", sandbox, command.Shell is null ? "a" : "s", switchTo ?? "-" };
        argv.AddRange(cgroupProcs);
        argv.Add("--");
        if (command.Shell is not null) argv.Add(command.Shell);
        else argv.AddRange(command.Argv!);
        return argv;
    }

    /// <summary>
    /// The agent's own environment, then DCOS_TASK_ID, DCOS_FRAMEWORK_ID, DCOS_AGENT_ID, DCOS_SANDBOX (and Mesos'
    /// MESOS_SANDBOX), HOST, PORT0..PORTn, PORT (= PORT0) and PORTS, then the task's own variables, which win; last the
    /// GPU devices the master gave the task as CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES (on an agent with GPUs a
    /// task given none sees none), which the task cannot widen.
    /// </summary>
    public static List<string> Environment(IReadOnlyDictionary<string, string> baseEnvironment, FrameworkId framework, TaskSpec spec,
        AgentId agent, string sandbox, string hostname, bool agentHasGpus = false, IReadOnlyDictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>(baseEnvironment, StringComparer.Ordinal)
        {
            ["DCOS_TASK_ID"] = spec.Id.Value,
            ["DCOS_FRAMEWORK_ID"] = framework.Value,
            ["DCOS_AGENT_ID"] = agent.Value ?? "",
            ["DCOS_SANDBOX"] = sandbox,
            ["MESOS_SANDBOX"] = sandbox,
            ["HOST"] = hostname,
        };
        var ports = PortsOf(spec);
        for (var i = 0; i < ports.Count; i++) env["PORT" + i.ToString(CultureInfo.InvariantCulture)] = ports[i].ToString(CultureInfo.InvariantCulture);
        if (ports.Count > 0)
        {
            env["PORT"] = ports[0].ToString(CultureInfo.InvariantCulture);
            env["PORTS"] = string.Join(",", ports);
        }
        foreach (var (name, value) in spec.Command.Environment) env[name] = value;
        if (extra is not null)
        {
            foreach (var (name, value) in extra) env[name] = value;
        }
        if (spec.GpuDevices is { Count: > 0 } devices)
        {
            var list = string.Join(",", devices.Select(d => d.ToString(CultureInfo.InvariantCulture)));
            env["CUDA_VISIBLE_DEVICES"] = list;
            env["NVIDIA_VISIBLE_DEVICES"] = list;
        }
        else if (agentHasGpus)
        {
            env["CUDA_VISIBLE_DEVICES"] = "";
            env["NVIDIA_VISIBLE_DEVICES"] = "void";
        }
        return [.. env.Select(kv => kv.Key + "=" + kv.Value)];
    }

    /// <summary>The task's ports in ascending order (PORT0 is the lowest), at most 1,000 of them.</summary>
    public static List<ulong> PortsOf(TaskSpec spec) => [.. spec.Resources.Ports.Values().Take(1000)];
}
