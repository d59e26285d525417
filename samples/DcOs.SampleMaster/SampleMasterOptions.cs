using System.Net;

namespace DcOs.SampleMaster;

/// <summary>
/// The sample master's settings, bound from the "DcOs" section: appsettings.json, then DCOS_* environment variables
/// (e.g. DCOS_HTTPPORT), then command-line flags (--data-dir, --local-agents, --http-port, --master-port).
/// </summary>
public sealed class SampleMasterOptions
{
    /// <summary>Folder for the SQLite stores and the local agents' work dirs. Default "dcos-data" in the working directory.</summary>
    public string DataDir { get; set; } = "dcos-data";

    /// <summary>Port of the HTTP API and dashboard on 127.0.0.1. Default 5080.</summary>
    public int HttpPort { get; set; } = 5080;

    /// <summary>Port agents and frameworks connect to on 127.0.0.1. Default 5050 (Mesos' port); 0 picks a free one.</summary>
    public int MasterPort { get; set; } = 5050;

    /// <summary>Agent processes to start on this machine, each with a share of its resources. Default 0.</summary>
    public int LocalAgents { get; set; }

    /// <summary>
    /// Machine price per hour of local agent i (cycled), so cost-aware placement has something to choose: e.g.
    /// <c>--DcOs:AgentPrices:0 0.5 --DcOs:AgentPrices:1 0.1</c>. Null: 0.10, 0.25, 0.50. (No default in the property
    /// itself: the configuration binder appends to an array it finds, so a default would always come first.)
    /// </summary>
    public double[]? AgentPrices { get; set; }

    /// <summary>Speed factor of local agent i (cycled). Null: 1.0, 1.5, 2.5.</summary>
    public double[]? AgentSpeeds { get; set; }

    /// <summary>
    /// GPU devices local agent i offers, "model:memoryMb,..." as the agent's <c>--gpu-devices</c> takes them, e.g.
    /// <c>--DcOs:AgentGpuDevices:0 A100:40960,T4:15360</c>. Agents past the array's end list no devices (a real GPU is
    /// then found by <c>nvidia-smi</c>, as on any agent). Not cycled: local agents share one machine's GPUs.
    /// </summary>
    public string[]? AgentGpuDevices { get; set; }

    /// <summary>The price per hour local agent <paramref name="index"/> gets.</summary>
    public double AgentPrice(int index) => Cycled(AgentPrices is { Length: > 0 } p ? p : [0.10, 0.25, 0.50], index);

    /// <summary>The speed factor local agent <paramref name="index"/> gets.</summary>
    public double AgentSpeed(int index) => Cycled(AgentSpeeds is { Length: > 0 } s ? s : [1.0, 1.5, 2.5], index);

    private static double Cycled(double[] values, int index) => values[index % values.Length];

    /// <summary>Path of DcOs.AgentHost.dll; found next to this program or in the repository when empty.</summary>
    public string? AgentHost { get; set; }

    /// <summary>Host the local frameworks (services and jobs) in this process. Default true.</summary>
    public bool HostFrameworks { get; set; } = true;

    /// <summary>
    /// Where agents and frameworks connect, "host:port" (--listen): e.g. "0.0.0.0:5050" for every interface. Default
    /// 127.0.0.1 at <see cref="MasterPort"/>. Beyond loopback the master needs authentication (refused when <see cref="Insecure"/>).
    /// </summary>
    public string? Listen { get; set; }

    /// <summary>Where the HTTP API and dashboard listen, "host:port" (--http-listen). Default 127.0.0.1 at <see cref="HttpPort"/>.</summary>
    public string? HttpListen { get; set; }

    /// <summary>
    /// The "host:port" others reach the master at (--advertise), printed in the join command. Default: the listen
    /// address, or this machine's host name when listening on every interface.
    /// </summary>
    public string? Advertise { get; set; }

    /// <summary>
    /// Turns authentication off (--insecure): no cluster secret, no tokens, an open API. Only for loopback: a master
    /// listening beyond loopback refuses to start insecure.
    /// </summary>
    public bool Insecure { get; set; }

    /// <summary>
    /// TLS for agents, frameworks and the HTTP API (--tls-cert): a PEM certificate (or .pfx) naming the hosts peers
    /// reach the master at. With it the API is HTTPS and the transport TLS. Null: plain (the handshake still authenticates).
    /// </summary>
    public string? TlsCert { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCert"/> (--tls-key); null when the certificate file holds it.</summary>
    public string? TlsKey { get; set; }

    /// <summary>
    /// What agents trust (--tls-trust): the CA that issued <see cref="TlsCert"/>, given to local agents and named in the
    /// join command. Default: the certificate itself (right for a self-signed one).
    /// </summary>
    public string? TlsTrust { get; set; }

    /// <summary>
    /// Mutual TLS on the transport (--tls-client-ca): every agent and framework must present a certificate that chains
    /// to one in this PEM file (agents: --tls-cert). The master's own certificate is accepted too: its local agents and
    /// hosted frameworks present it. The HTTP API keeps its bearer tokens. Needs <see cref="TlsCert"/>.
    /// </summary>
    public string? TlsClientCa { get; set; }

    /// <summary>The master's listen endpoint.</summary>
    public IPEndPoint MasterEndPoint => Listen is { Length: > 0 } l ? ParseEndPoint(l, "DcOs:Listen (--listen)") : new IPEndPoint(IPAddress.Loopback, MasterPort);

    /// <summary>The HTTP API's listen endpoint.</summary>
    public IPEndPoint HttpEndPoint => HttpListen is { Length: > 0 } l ? ParseEndPoint(l, "DcOs:HttpListen (--http-listen)") : new IPEndPoint(IPAddress.Loopback, HttpPort);

    /// <summary>What the join command names: <see cref="Advertise"/>, the listen address, or the host name.</summary>
    public string AdvertisedMaster(IPEndPoint bound) =>
        Advertise is { Length: > 0 } a ? a
        : bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any) ? $"{Dns.GetHostName()}:{bound.Port}"
        : bound.ToString();

    /// <summary>"host:port" with an IP address ("0.0.0.0", "[::]", "10.0.0.5") or "localhost".</summary>
    public static IPEndPoint ParseEndPoint(string text, string setting)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw new ArgumentException($"{setting} must be host:port, such as 0.0.0.0:5050 (got \"{text}\")");
        var host = text[..colon].Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed
            : throw new ArgumentException($"{setting} must name an IP address to listen on (or localhost), not \"{host}\"");
        return new IPEndPoint(address, port);
    }

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDir)) throw new ArgumentException("DcOs:DataDir (--data-dir) must not be empty");
        if (HttpPort is < 0 or > 65535) throw new ArgumentException($"DcOs:HttpPort (--http-port) must be a port number, not {HttpPort}");
        if (MasterPort is < 0 or > 65535) throw new ArgumentException($"DcOs:MasterPort (--master-port) must be a port number, not {MasterPort}");
        if (LocalAgents is < 0 or > 64) throw new ArgumentException($"DcOs:LocalAgents (--local-agents) must be between 0 and 64, not {LocalAgents}");
        if (AgentPrices is not null && AgentPrices.Any(p => !double.IsFinite(p) || p < 0)) throw new ArgumentException("DcOs:AgentPrices must be non-negative numbers");
        if (AgentSpeeds is not null && AgentSpeeds.Any(s => !double.IsFinite(s) || s <= 0)) throw new ArgumentException("DcOs:AgentSpeeds must be positive numbers");
        if (AgentGpuDevices is not null && AgentGpuDevices.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("DcOs:AgentGpuDevices: each entry lists devices as \"model:memoryMb,...\"");
        _ = MasterEndPoint;
        _ = HttpEndPoint;
        if (TlsCert is not null && !File.Exists(TlsCert)) throw new ArgumentException($"DcOs:TlsCert (--tls-cert): {TlsCert} does not exist");
        if (TlsKey is not null && !File.Exists(TlsKey)) throw new ArgumentException($"DcOs:TlsKey (--tls-key): {TlsKey} does not exist");
        if (TlsKey is not null && TlsCert is null) throw new ArgumentException("DcOs:TlsKey (--tls-key) needs --tls-cert");
        if (TlsClientCa is not null && TlsCert is null) throw new ArgumentException("DcOs:TlsClientCa (--tls-client-ca) needs --tls-cert: client certificates are part of TLS");
        if (TlsClientCa is not null && !File.Exists(TlsClientCa)) throw new ArgumentException($"DcOs:TlsClientCa (--tls-client-ca): {TlsClientCa} does not exist");
        if (Insecure && (!IPAddress.IsLoopback(MasterEndPoint.Address) || !IPAddress.IsLoopback(HttpEndPoint.Address)))
            throw new ArgumentException("--insecure is for loopback only: anyone who reaches an open master owns the cluster; drop --insecure (agents then join with the token the master writes) or listen on 127.0.0.1");
    }
}
