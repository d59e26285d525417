namespace DcOs.Transport;

/// <summary>The role an authenticated peer acts in.</summary>
public enum PeerRole
{
    /// <summary>An agent host.</summary>
    Agent = 1,

    /// <summary>A framework scheduler.</summary>
    Framework = 2,

    /// <summary>An operator tool (CLI, dashboard backend).</summary>
    Operator = 3,

    /// <summary>A master (the server side of a connection).</summary>
    Master = 4,
}
