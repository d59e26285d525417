namespace DcOs.Core;

/// <summary>Sent with a decline: how long the declined resources should not be offered again to this framework.</summary>
public readonly record struct Filters
{
    /// <summary>Mesos' default refusal time, 5 seconds.</summary>
    public static readonly TimeSpan DefaultRefuse = TimeSpan.FromSeconds(5);

    private readonly TimeSpan? _refuse;

    /// <summary>Creates filters refusing for <paramref name="refuseSeconds"/>.</summary>
    /// <exception cref="ValidationException">Negative, NaN or infinite.</exception>
    public Filters(double refuseSeconds) =>
        _refuse = TimeSpan.FromSeconds(Guard.FiniteNonNegative(refuseSeconds, "filters.refuseSeconds"));

    /// <summary>How long to refuse; 5 seconds by default.</summary>
    public TimeSpan Refuse => _refuse ?? DefaultRefuse;

    /// <summary>The refusal in seconds.</summary>
    public double RefuseSeconds => Refuse.TotalSeconds;

    /// <summary>The default filters (refuse 5 seconds).</summary>
    public static Filters Default => default;
}
