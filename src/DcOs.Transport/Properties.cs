using System.Runtime.CompilerServices;

// The protocol's messages and connections are internal: the DcOs packages that speak the protocol (and their tests)
// share them; a user configures and passes an IDcOsTransport but never sees a message. See docs/architecture.md.
[assembly: InternalsVisibleTo("DcOs.Framework")]
[assembly: InternalsVisibleTo("DcOs.Scheduling")]
[assembly: InternalsVisibleTo("DcOs.Scheduling.Sqlite")]
[assembly: InternalsVisibleTo("DcOs.Agent")]
[assembly: InternalsVisibleTo("DcOs.Agent.Tests")]
[assembly: InternalsVisibleTo("DcOs.Scheduling.Tests")]
// The simulator speaks the agent side of the protocol.
[assembly: InternalsVisibleTo("DcOs.Simulation")]

// MessagePack emits the union's formatter into a dynamic assembly of this name; it must see the internal message base.
[assembly: InternalsVisibleTo("MessagePack.Resolvers.DynamicUnionResolver")]
