using System.Diagnostics;
using System.Text;

namespace DcOs.IntegrationTests.MultiHost;

/// <summary>
/// Machines for a multi-host test on one machine: one network namespace per host, joined by veth pairs to a bridge in
/// the first ("master") namespace, on a random 10.x.y.0/24 subnet. Only the test's namespaces carry the traffic; the
/// root namespace gets no interface. Disposing deletes the namespaces, which removes their links.
/// </summary>
internal sealed class NamespaceNetwork : IDisposable
{
    private readonly List<string> _namespaces = [];

    private NamespaceNetwork(string id, string subnet)
    {
        Id = id;
        Subnet = subnet;
    }

    public string Id { get; }

    /// <summary>"10.x.y", the first three octets.</summary>
    public string Subnet { get; }

    public string Master => $"dcos{Id}m";

    public string MasterAddress => $"{Subnet}.1";

    public string Agent(int i) => $"dcos{Id}a{i}";

    public string AgentAddress(int i) => $"{Subnet}.{10 + i}";

    private string AgentLink(int i) => $"v{Id}a{i}";

    /// <summary>Why this machine cannot make namespaces (not root, no ip), or null.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces are Linux";
        if (Environment.UserName != "root") return "making network namespaces needs root (CI runs as root)";
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip")) return "iproute2 (ip) is not installed";
        return null;
    }

    public static NamespaceNetwork Create(int agents)
    {
        var id = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..5];
        var network = new NamespaceNetwork(id, $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(1, 250)}");
        try
        {
            network.Add(network.Master);
            Ip($"-n {network.Master} link set lo up");
            Ip($"-n {network.Master} link add br0 type bridge");
            Ip($"-n {network.Master} addr add {network.MasterAddress}/24 dev br0");
            Ip($"-n {network.Master} link set br0 up");
            for (var i = 1; i <= agents; i++)
            {
                var ns = network.Agent(i);
                network.Add(ns);
                Ip($"-n {ns} link set lo up");
                // Made inside the agent's namespace, its peer moved to the master's: nothing touches the root namespace.
                Ip($"-n {ns} link add {network.AgentLink(i)} type veth peer name p{id}a{i} netns {network.Master}");
                Ip($"-n {network.Master} link set p{id}a{i} master br0");
                Ip($"-n {network.Master} link set p{id}a{i} up");
                Ip($"-n {ns} addr add {network.AgentAddress(i)}/24 dev {network.AgentLink(i)}");
                Ip($"-n {ns} link set {network.AgentLink(i)} up");
            }
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Cuts (or heals) agent <paramref name="i"/>'s only link: a partition as a switch port going down.</summary>
    public void SetAgentLink(int i, bool up) => Ip($"-n {Agent(i)} link set {AgentLink(i)} {(up ? "up" : "down")}");

    /// <summary>Starts <c>dotnet args</c> inside namespace <paramref name="ns"/>, its output kept in <paramref name="log"/>.</summary>
    public static Process Start(string ns, IEnumerable<string> args, StringBuilder log, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "dotnet" }.Concat(args)) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public void Dispose()
    {
        foreach (var ns in Enumerable.Reverse(_namespaces))
        {
            try
            {
                Ip($"netns del {ns}");
            }
            catch (InvalidOperationException)
            {
                // Best effort: report the test's own failure, not the cleanup's.
            }
        }
    }

    private void Add(string ns)
    {
        Ip($"netns add {ns}");
        _namespaces.Add(ns);
    }

    private static void Ip(string arguments)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ip {arguments}: {error.Trim()}");
    }
}
