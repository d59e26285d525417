using System.Threading.Channels;

namespace DcOs.Scheduling.Master;

/// <summary>
/// A subscription to the master's events, from <see cref="IMaster.Watch"/>. The master never waits for a watcher: one
/// that falls more than its capacity behind has its channel completed with an error, and must watch again (and read
/// the current state) to continue. Dispose it to stop watching.
/// </summary>
public interface IMasterWatch : IDisposable
{
    /// <summary>The events, in order, from the moment <see cref="IMaster.Watch"/> returned.</summary>
    ChannelReader<MasterEvent> Events { get; }
}
