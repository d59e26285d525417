namespace DcOs.Transport;

/// <summary>
/// Exponential backoff with "equal jitter": attempt n waits a random time between half and all of
/// min(cap, initial * factor^n), so many clients that lost the same master do not reconnect in lockstep.
/// </summary>
internal sealed class Backoff
{
    private readonly Random _random;
    private int _attempt;

    /// <summary>Creates the schedule; pass a seeded <paramref name="random"/> for a reproducible one.</summary>
    public Backoff(TimeSpan initial, TimeSpan cap, double factor = 2.0, Random? random = null)
    {
        if (initial <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(initial), "must be positive");
        if (cap < initial) throw new ArgumentOutOfRangeException(nameof(cap), "must be at least the initial delay");
        if (!(factor >= 1.0) || double.IsInfinity(factor)) throw new ArgumentOutOfRangeException(nameof(factor), "must be a finite number of at least 1");
        Initial = initial;
        Cap = cap;
        Factor = factor;
        _random = random ?? Random.Shared;
    }

    /// <summary>The first delay's upper bound.</summary>
    public TimeSpan Initial { get; }

    /// <summary>No delay exceeds this.</summary>
    public TimeSpan Cap { get; }

    /// <summary>Growth per attempt.</summary>
    public double Factor { get; }

    /// <summary>Attempts since the last <see cref="Reset"/>.</summary>
    public int Attempt => _attempt;

    /// <summary>The delay before the next attempt.</summary>
    public TimeSpan Next()
    {
        var ceiling = Math.Min(Cap.TotalMilliseconds, Initial.TotalMilliseconds * Math.Pow(Factor, Math.Min(_attempt, 64)));
        _attempt++;
        var half = ceiling / 2;
        return TimeSpan.FromMilliseconds(half + _random.NextDouble() * half);
    }

    /// <summary>Starts over after a success.</summary>
    public void Reset() => _attempt = 0;
}
