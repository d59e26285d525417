using MessagePack;

namespace DcOs.Transport.Messages;

/// <summary>
/// The one versioned union of every message of the DcOs protocol. Each frame's body is one <see cref="DcOsMessage"/>,
/// written by MessagePack as <c>[typeKey, body]</c>. To add a message: a new <c>[MessagePackObject]</c> sealed class
/// deriving from this one, and a <c>[Union]</c> line here with a new key (never reuse a key; bump
/// <see cref="ProtocolVersion.Current"/> only for incompatible changes).
/// </summary>
[Union(0, typeof(Hello))]
[Union(1, typeof(Challenge))]
[Union(2, typeof(Authenticate))]
[Union(3, typeof(Welcome))]
[Union(4, typeof(Refused))]
[Union(5, typeof(Goodbye))]
[Union(6, typeof(Heartbeat))]
[Union(7, typeof(Request))]
[Union(8, typeof(Response))]
[Union(9, typeof(ErrorMessage))]
[Union(20, typeof(RegisterAgent))]
[Union(21, typeof(ReregisterAgent))]
[Union(22, typeof(AgentRegistered))]
[Union(23, typeof(AgentPing))]
[Union(24, typeof(AgentPong))]
[Union(25, typeof(GetTaskUsage))]
[Union(26, typeof(TaskUsageReport))]
[Union(27, typeof(ReadTaskLog))]
[Union(28, typeof(TaskLogChunk))]
[Union(30, typeof(SubscribeFramework))]
[Union(31, typeof(FrameworkSubscribed))]
[Union(32, typeof(OffersMessage))]
[Union(33, typeof(RescindOffer))]
[Union(34, typeof(Accept))]
[Union(35, typeof(Decline))]
[Union(36, typeof(Revive))]
[Union(37, typeof(Suppress))]
[Union(38, typeof(KillTask))]
[Union(39, typeof(Reconcile))]
[Union(40, typeof(FrameworkMessage))]
[Union(41, typeof(Teardown))]
[Union(42, typeof(AgentLost))]
[Union(43, typeof(PlaceTasks))]
[Union(44, typeof(PlacementResult))]
[Union(50, typeof(RunTask))]
[Union(60, typeof(StatusUpdate))]
[Union(61, typeof(StatusUpdateAck))]
internal abstract class DcOsMessage
{
    /// <summary>Whether the message is for the application's handler (not a protocol-level one such as a heartbeat).</summary>
    [IgnoreMember]
    internal virtual bool IsApplicationMessage => true;

    /// <summary>Union key to type name, for error messages.</summary>
    internal static readonly Dictionary<int, string> TypeNames = typeof(DcOsMessage)
        .GetCustomAttributes(typeof(UnionAttribute), inherit: false)
        .Cast<UnionAttribute>()
        .ToDictionary(u => u.Key, u => u.SubType.Name);

    /// <summary>The union keys in use, for refusing unknown types with a clear reason before deserializing.</summary>
    internal static readonly HashSet<int> KnownTypeKeys = typeof(DcOsMessage)
        .GetCustomAttributes(typeof(UnionAttribute), inherit: false)
        .Cast<UnionAttribute>()
        .Select(u => u.Key)
        .ToHashSet();
}
