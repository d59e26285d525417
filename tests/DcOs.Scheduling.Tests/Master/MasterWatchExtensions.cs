using DcOs.Scheduling.Master;

namespace DcOs.Scheduling.Tests.Master;

internal static class MasterWatchExtensions
{
    /// <summary>The next event that matches, within the harness's timeout.</summary>
    public static async Task<MasterEvent> NextAsync(this IMasterWatch watch, Func<MasterEvent, bool> match)
    {
        using var cts = new CancellationTokenSource(MasterHarness.Timeout);
        while (true)
        {
            var e = await watch.Events.ReadAsync(cts.Token);
            if (match(e)) return e;
        }
    }
}
