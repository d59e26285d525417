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

    /// <summary>Machine price per hour of local agent i (cycled), so cost-aware placement has something to choose.</summary>
    public double[] AgentPrices { get; set; } = [0.10, 0.25, 0.50];

    /// <summary>Speed factor of local agent i (cycled).</summary>
    public double[] AgentSpeeds { get; set; } = [1.0, 1.5, 2.5];

    /// <summary>Path of DcOs.AgentHost.dll; found next to this program or in the repository when empty.</summary>
    public string? AgentHost { get; set; }

    /// <summary>Host the local frameworks (services and jobs) in this process. Default true.</summary>
    public bool HostFrameworks { get; set; } = true;

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDir)) throw new ArgumentException("DcOs:DataDir (--data-dir) must not be empty");
        if (HttpPort is < 0 or > 65535) throw new ArgumentException($"DcOs:HttpPort (--http-port) must be a port number, not {HttpPort}");
        if (MasterPort is < 0 or > 65535) throw new ArgumentException($"DcOs:MasterPort (--master-port) must be a port number, not {MasterPort}");
        if (LocalAgents is < 0 or > 64) throw new ArgumentException($"DcOs:LocalAgents (--local-agents) must be between 0 and 64, not {LocalAgents}");
        if (AgentPrices.Length == 0 || AgentPrices.Any(p => !double.IsFinite(p) || p < 0)) throw new ArgumentException("DcOs:AgentPrices must be non-negative numbers");
        if (AgentSpeeds.Length == 0 || AgentSpeeds.Any(s => !double.IsFinite(s) || s <= 0)) throw new ArgumentException("DcOs:AgentSpeeds must be positive numbers");
    }
}
