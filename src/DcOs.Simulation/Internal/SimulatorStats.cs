namespace DcOs.Simulation.Internal;

/// <summary>The counters behind <see cref="SimulatorCounters"/>, bumped by every agent without a lock.</summary>
internal sealed class SimulatorStats
{
    public long Registrations;
    public long Reregistrations;
    public long Disconnects;
    public long TasksLaunched;
    public long TasksRefused;
    public long TasksActive;
    public long UpdatesEmitted;
    public long UpdatesSent;
    public long UpdatesResent;
    public long DuplicatesInjected;
    public long UpdatesAcknowledged;
    public long MessagesDropped;
    public long UpdatesLost;

    public SimulatorCounters Snapshot() => new(
        Interlocked.Read(ref Registrations),
        Interlocked.Read(ref Reregistrations),
        Interlocked.Read(ref Disconnects),
        Interlocked.Read(ref TasksLaunched),
        Interlocked.Read(ref TasksRefused),
        Interlocked.Read(ref TasksActive),
        Interlocked.Read(ref UpdatesEmitted),
        Interlocked.Read(ref UpdatesSent),
        Interlocked.Read(ref UpdatesResent),
        Interlocked.Read(ref DuplicatesInjected),
        Interlocked.Read(ref UpdatesAcknowledged),
        Interlocked.Read(ref MessagesDropped),
        Interlocked.Read(ref UpdatesLost));
}
