using System.Globalization;
using System.Net;
using DcOs.Core;
using DcOs.Transport;

namespace DcOs.Agent;

/// <summary>
/// Settings of one agent. Resources are discovered from the machine unless set here; every setting is checked by
/// <see cref="Validate"/> when the agent starts, so a bad configuration fails before the agent connects.
/// </summary>
public sealed class AgentOptions
{
    /// <summary>
    /// The master as "host:port" ("10.0.0.1:5050", "[::1]:5050", "master.local:5050"), or several separated by commas
    /// ("m1:5050,m2:5050,m3:5050"), tried in turn until one accepts (masters in high availability). Required unless
    /// <see cref="MasterEndPoint"/> is set.
    /// </summary>
    public string? Master { get; set; }

    /// <summary>The master's endpoint; wins over <see cref="Master"/> (e.g. an in-memory endpoint in tests).</summary>
    public EndPoint? MasterEndPoint { get; set; }

    /// <summary>
    /// The agent's work directory: agent id, task checkpoints, the status-update log and the sandboxes. Required. An
    /// agent restarted with the same work directory keeps its id and recovers its tasks; two agents must not share one.
    /// </summary>
    public string? WorkDir { get; set; }

    /// <summary>The hostname tasks are reached at (HOST in their environment). Default: the machine's hostname.</summary>
    public string? Hostname { get; set; }

    /// <summary>The principal the agent authenticates as. Default "dcos-agent".</summary>
    public string Principal { get; set; } = "dcos-agent";

    /// <summary>The shared secret (UTF-8) for the master's authentication; null against an open master.</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// A file holding the cluster's join token (<c>dcos1:join:...</c>, written by the master into its data dir): the agent
    /// joins with it and is then given its own credential, kept in its work dir. Wins over <see cref="Token"/> and
    /// <see cref="Principal"/>/<see cref="Secret"/>. A file keeps the token out of the process list.
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>The join token itself (e.g. from the DCOS_AGENT__TOKEN environment variable); see <see cref="TokenFile"/>.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Connect to the master over TLS, trusting the certificates in this PEM file (the cluster's CA, or the master's own
    /// self-signed certificate) rather than the machine's store; the master's certificate must name the host in
    /// <see cref="Master"/>. Null: plain TCP (the handshake still authenticates both sides).
    /// </summary>
    public string? TlsTrustFile { get; set; }

    /// <summary>
    /// The agent's own TLS certificate (PEM, or one .pfx), for a master that requires client certificates (its
    /// <c>--tls-client-ca</c>); with <see cref="TlsKeyFile"/> when the key is in a file of its own. Needs
    /// <see cref="TlsTrustFile"/>.
    /// </summary>
    public string? TlsCertFile { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCertFile"/>; null when the certificate file holds it.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>Cpus to offer. Default: discovered (cgroup cpu quota, cpu affinity, processor count).</summary>
    public double? Cpus { get; set; }

    /// <summary>Memory to offer, in MiB. Default: discovered (/proc/meminfo or the cgroup limit, less <see cref="MemReserveMb"/>).</summary>
    public double? MemMb { get; set; }

    /// <summary>
    /// Memory kept back for the system and the agent when memory is discovered, in MiB. Default (null): Mesos' rule,
    /// 1 GiB on machines with at least 2 GiB, half the memory on smaller ones.
    /// </summary>
    public double? MemReserveMb { get; set; }

    /// <summary>Disk to offer, in MiB. Default: the free space of the file system holding <see cref="WorkDir"/>.</summary>
    public double? DiskMb { get; set; }

    /// <summary>
    /// GPUs to offer (devices 0 to n-1 of unknown model unless <see cref="GpuDevices"/> describes them). Default: the
    /// devices <c>nvidia-smi</c> reports, or none when it is absent.
    /// </summary>
    public double? Gpus { get; set; }

    /// <summary>
    /// The GPU devices to offer, numbered 0, 1, ... in order: "model:memoryMb" each, comma-separated, e.g.
    /// "A100:40960,A100:40960,T4:15360" (memory may be left out). Overrides what <c>nvidia-smi</c> reports; when
    /// <see cref="Gpus"/> is set too it must equal the number of devices.
    /// </summary>
    public string? GpuDevices { get; set; }

    /// <summary>Port ranges to offer, e.g. "31000-32000" or "31000-31099,32000-32099". Default "31000-32000" (Mesos' default).</summary>
    public string Ports { get; set; } = "31000-32000";

    /// <summary>
    /// Attributes in Mesos' text form, "rack:r1;zone:us-east-1a;instance_type:m5.large". The agent adds "os" and
    /// "os_version" from /etc/os-release (unless given here) and, with GPUs, "gpu_model" and "gpu_memory_mb".
    /// </summary>
    public string? Attributes { get; set; }

    /// <summary>The fault-domain region (<c>@region</c> in constraints), if known.</summary>
    public string? Region { get; set; }

    /// <summary>The fault-domain zone (<c>@zone</c> in constraints), if known.</summary>
    public string? Zone { get; set; }

    /// <summary>What the machine costs and how fast it is, for the master's cost optimizer. Default: free, speed 1.</summary>
    public AgentCostOptions Cost { get; set; } = new();

    /// <summary>How tasks are isolated. Default <see cref="AgentIsolation.Auto"/>: cgroups where writable, plain processes otherwise.</summary>
    public AgentIsolation Isolation { get; set; } = AgentIsolation.Auto;

    /// <summary>
    /// Where the agent's cgroups go in each hierarchy. A relative path is created under the agent's own cgroup (so tasks
    /// stay inside whatever limits the agent's service or container has); an absolute one under the hierarchy's root
    /// (as Mesos' "/mesos"). Each agent adds a child named after its work directory. Default "dcos".
    /// </summary>
    public string CgroupsRoot { get; set; } = "dcos";

    /// <summary>Whether a task's cpus also become a hard CFS quota (cpu.max / cpu.cfs_quota_us), not only a share. Default true (as DC/OS).</summary>
    public bool CgroupsEnableCfsQuota { get; set; } = true;

    /// <summary>Size above which a task's stdout or stderr file is cut to its most recent half. Default 10 MiB.</summary>
    public long MaxLogFileBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>How often running tasks' log files are checked against <see cref="MaxLogFileBytes"/>. Default 2 s.</summary>
    public TimeSpan LogCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a finished task's sandbox is kept (for its logs) before it is deleted. Default 1 day (Mesos keeps a week, with disk pressure shortening it).</summary>
    public TimeSpan SandboxGcDelay { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// First delay before an unacknowledged status update is sent again, doubling after each resend (with jitter: half
    /// to all of it). Default 10 s, as Mesos' agent: at 1 s, acknowledgements queued behind a 100,000-task launch came
    /// too late and the resends fed a storm of 369,515. An agent that re-registers resends at once anyway.
    /// </summary>
    public TimeSpan StatusUpdateRetryInitial { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest delay between resends of an unacknowledged status update. Default 10 minutes, as Mesos.</summary>
    public TimeSpan StatusUpdateRetryMax { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the agent waits for the master's answer to a registration. Default 10 s.</summary>
    public TimeSpan RegistrationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait between attempts to reach the master. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether stopping the agent kills its tasks. Default false: as in Mesos, tasks keep running while the agent is
    /// restarted or upgraded, and the next agent with the same work directory re-attaches to them.
    /// </summary>
    public bool KillTasksOnShutdown { get; set; }

    /// <summary>
    /// The user a task runs as when it names none, for an agent running as root. Default "nobody": no task runs as root
    /// unless it asks to (<c>CommandSpec.User</c> "root"). An agent not running as root runs tasks as itself.
    /// </summary>
    public string TaskUser { get; set; } = "nobody";

    /// <summary>
    /// How long a task may outlive its agent (Mesos' <c>recovery_timeout</c>, 15 min by default): the agent marks
    /// itself alive in its work dir, and a task whose agent has not done so for this long is ended by its own wrapper
    /// (SIGTERM, SIGKILL 10 s later), which records why for the agent that comes back. No task runs forever unwatched.
    /// </summary>
    public TimeSpan RecoveryTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Require(MasterEndPoint is not null || !string.IsNullOrWhiteSpace(Master), nameof(Master), "is required (\"host:port\")");
        if (MasterEndPoint is null) _ = ResolveMasters();
        Require(TlsCertFile is null || TlsTrustFile is not null, nameof(TlsCertFile), "needs TlsTrustFile (a client certificate is for TLS to the master)");
        Require(TlsKeyFile is null || TlsCertFile is not null, nameof(TlsKeyFile), "needs TlsCertFile");
        Require(!string.IsNullOrWhiteSpace(WorkDir), nameof(WorkDir), "is required");
        Require(WorkDir!.IndexOf('\0', StringComparison.Ordinal) < 0, nameof(WorkDir), "must not contain NUL");
        Require(Hostname is null || (Hostname.Length is > 0 and <= 253 && !Hostname.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))),
            nameof(Hostname), $"\"{Hostname}\" is not a valid hostname");
        Require(!string.IsNullOrWhiteSpace(Principal), nameof(Principal), "must not be empty");
        Require(!string.IsNullOrWhiteSpace(TaskUser) && TaskUser[0] != '-' && TaskUser.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'),
            nameof(TaskUser), $"\"{TaskUser}\" is not a user name");
        Require(TokenFile is null || File.Exists(TokenFile), nameof(TokenFile), $"{TokenFile} does not exist");
        Require(RecoveryTimeout >= TimeSpan.FromSeconds(1) && RecoveryTimeout <= TimeSpan.FromDays(7), nameof(RecoveryTimeout), "must be between 1 s and 7 days");
        Require(TlsTrustFile is null || File.Exists(TlsTrustFile), nameof(TlsTrustFile), $"{TlsTrustFile} does not exist");
        if (Token is not null) RequireToken(Token, nameof(Token));
        if (TokenFile is not null && File.Exists(TokenFile)) RequireToken(File.ReadAllText(TokenFile), nameof(TokenFile));
        RequireAmount(Cpus, nameof(Cpus));
        RequireAmount(MemMb, nameof(MemMb));
        RequireAmount(MemReserveMb, nameof(MemReserveMb));
        RequireAmount(DiskMb, nameof(DiskMb));
        RequireAmount(Gpus, nameof(Gpus));
        Require(Gpus is null || Gpus == Math.Floor(Gpus.Value), nameof(Gpus), "must be a whole number");
        if (GpuDevices is not null)
        {
            var devices = ParseGpuDevices(GpuDevices);
            Require(Gpus is null || Gpus == devices.Count, nameof(Gpus), $"is {Gpus} but {nameof(GpuDevices)} lists {devices.Count} device(s)");
        }
        _ = ParsePorts(Ports);
        _ = ParseAttributes(Attributes);
        Require(Region is null || Region.Trim().Length > 0, nameof(Region), "must not be empty when set");
        Require(Zone is null || Zone.Trim().Length > 0, nameof(Zone), "must not be empty when set");
        Require(Cost is not null, nameof(Cost), "must not be null");
        _ = Cost!.ToCostModel();
        Require(Enum.IsDefined(Isolation), nameof(Isolation), $"unknown value {(int)Isolation}");
        Require(!string.IsNullOrWhiteSpace(CgroupsRoot) && CgroupsRoot.Split('/').All(s => s is not ".." and not "."),
            nameof(CgroupsRoot), "must be a cgroup path without '.' or '..' segments");
        Require(MaxLogFileBytes >= 4096, nameof(MaxLogFileBytes), "must be at least 4096 bytes");
        Require(LogCheckInterval > TimeSpan.Zero, nameof(LogCheckInterval), "must be positive");
        Require(SandboxGcDelay >= TimeSpan.Zero, nameof(SandboxGcDelay), "must not be negative");
        Require(StatusUpdateRetryInitial > TimeSpan.Zero, nameof(StatusUpdateRetryInitial), "must be positive");
        Require(StatusUpdateRetryMax >= StatusUpdateRetryInitial, nameof(StatusUpdateRetryMax), "must be at least StatusUpdateRetryInitial");
        Require(RegistrationTimeout > TimeSpan.Zero, nameof(RegistrationTimeout), "must be positive");
        Require(ReconnectMaxDelay >= TimeSpan.FromMilliseconds(100), nameof(ReconnectMaxDelay), "must be at least 100 ms");
    }

    /// <summary>The masters' endpoints, in the order given: <see cref="MasterEndPoint"/>, or each of <see cref="Master"/>.</summary>
    internal IReadOnlyList<EndPoint> ResolveMasters()
    {
        if (MasterEndPoint is { } endPoint) return [endPoint];
        var parts = Master!.Split(',', StringSplitOptions.TrimEntries);
        Require(parts.All(p => p.Length > 0), nameof(Master), $"\"{Master}\" has an empty entry in its list of masters");
        return [.. parts.Select(ParseMaster)];
    }

    internal static EndPoint ParseMaster(string text)
    {
        text = text.Trim();
        var colon = text.LastIndexOf(':');
        Require(colon > 0 && colon < text.Length - 1, nameof(Master), $"\"{text}\" is not of the form host:port");
        var host = text[..colon].Trim('[', ']');
        Require(int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535,
            nameof(Master), $"\"{text}\" has no valid port");
        Require(host.Length > 0, nameof(Master), $"\"{text}\" has no host");
        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
    }

    internal static RangeSet ParsePorts(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return RangeSet.Empty;
        try
        {
            var inner = text.Trim().TrimStart('[').TrimEnd(']');
            var ports = RangeSet.Parse("[" + inner + "]", "AgentOptions.Ports");
            if (!ports.IsEmpty && ports.Ranges[^1].End > 65535) throw new ValidationException("AgentOptions.Ports", "ports end at 65535");
            return ports;
        }
        catch (ValidationException e)
        {
            throw new ArgumentException($"AgentOptions.{nameof(Ports)}: \"{text}\" is not a list of port ranges ({e.Reason})", nameof(Ports), e);
        }
    }

    /// <summary>"model:memoryMb,..." as devices 0, 1, ...; throws naming <see cref="GpuDevices"/> and the device at fault.</summary>
    internal static List<GpuDevice> ParseGpuDevices(string text)
    {
        var devices = new List<GpuDevice>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var field = $"AgentOptions.{nameof(GpuDevices)}[{devices.Count}]";
            var colon = item.LastIndexOf(':');
            var model = colon < 0 ? item : item[..colon].Trim();
            var memory = 0.0;
            if (colon >= 0 && !(double.TryParse(item[(colon + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out memory) && double.IsFinite(memory) && memory >= 0))
                throw new ArgumentException($"{field}: memory \"{item[(colon + 1)..]}\" is not a number of MiB (expected \"model:memoryMb\")", nameof(GpuDevices));
            if (model.Length == 0) throw new ArgumentException($"{field}: the model must not be empty (expected \"model:memoryMb\")", nameof(GpuDevices));
            try
            {
                devices.Add(new GpuDevice { Index = devices.Count, Model = model, MemoryMb = memory }.Validate(field));
            }
            catch (ValidationException e)
            {
                throw new ArgumentException(e.Message, nameof(GpuDevices), e);
            }
        }
        return devices;
    }

    internal static Attributes ParseAttributes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Core.Attributes.Empty;
        try
        {
            return Core.Attributes.Parse(text);
        }
        catch (ValidationException e)
        {
            throw new ArgumentException($"AgentOptions.{nameof(Attributes)}: {e.Message} (expected \"name:value;name:value\")", nameof(Attributes), e);
        }
    }

    private static void RequireAmount(double? value, string name) =>
        Require(value is null || (double.IsFinite(value.Value) && value.Value >= 0), name, "must be a finite number, not negative");

    private static void RequireToken(string token, string name)
    {
        try
        {
            _ = ClientCredentials.FromToken(token, PeerRole.Agent);
        }
        catch (FormatException e)
        {
            Require(false, name, e.Message);
        }
    }

    private static void Require(bool condition, string name, string reason)
    {
        if (!condition) throw new ArgumentException($"AgentOptions.{name}: {reason}", name);
    }
}
