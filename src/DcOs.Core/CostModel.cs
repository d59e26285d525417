namespace DcOs.Core;

/// <summary>
/// What an agent costs and how fast it is. A machine may have a price per hour for the whole machine, prices per unit
/// of each resource per hour (e.g. cpus 0.02, mem 0.000005 per MiB), or both; a relative speed factor (1 = reference
/// speed, 2 = work finishes in half the time); and whether it is preemptible (cheap, may vanish).
/// </summary>
/// <remarks>
/// <see cref="TaskPricePerHour"/> is the chargeback price: per-unit prices plus the machine price times the task's
/// dominant share of the machine (a task taking half the machine's cpus pays half the machine). Tasks bound by
/// different resources can together pay more than the machine's price (one takes most cpus, another most GPUs), so it
/// is what owners are charged for what they reserve, not what a machine costs to run; the machine billing of a plan
/// (<see cref="Placement.BillingMode"/>) charges a machine's price once while it runs anything.
/// </remarks>
public sealed record CostModel
{
    private readonly double _machinePerHour;
    private readonly IReadOnlyDictionary<string, double> _perUnitPerHour = new Dictionary<string, double>();
    private readonly double _speedFactor = 1.0;
    private readonly double? _gpuSpeedFactor;

    /// <summary>A free machine at reference speed.</summary>
    public static CostModel Free { get; } = new();

    /// <summary>Price of the whole machine per hour; 0 when priced per unit only.</summary>
    public double MachinePerHour
    {
        get => _machinePerHour;
        init => _machinePerHour = Guard.FiniteNonNegative(value, "cost.machinePerHour");
    }

    /// <summary>Price per unit of each resource per hour, by resource name (cpus, mem in MiB, ...).</summary>
    public IReadOnlyDictionary<string, double> PerUnitPerHour
    {
        get => _perUnitPerHour;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            foreach (var (name, price) in value)
            {
                ResourceNames.ValidateName(name, "cost.perUnitPerHour");
                Guard.FiniteNonNegative(price, "cost.perUnitPerHour." + name);
            }
            _perUnitPerHour = new Dictionary<string, double>(value, StringComparer.Ordinal);
        }
    }

    /// <summary>Relative speed; work of duration d at speed 1 takes d / SpeedFactor here. Must be positive.</summary>
    public double SpeedFactor
    {
        get => _speedFactor;
        init
        {
            Guard.FiniteNonNegative(value, "cost.speedFactor");
            if (value == 0) Guard.Fail("cost.speedFactor", "must be greater than zero");
            _speedFactor = value;
        }
    }

    /// <summary>
    /// Relative speed of the machine's GPUs, for work bound by them (a task that asks for GPUs); null: the same as
    /// <see cref="SpeedFactor"/>. A fast GPU does not make a cpu-only task on the same machine any faster.
    /// </summary>
    public double? GpuSpeedFactor
    {
        get => _gpuSpeedFactor;
        init
        {
            if (value is { } v)
            {
                Guard.FiniteNonNegative(v, "cost.gpuSpeedFactor");
                if (v == 0) Guard.Fail("cost.gpuSpeedFactor", "must be greater than zero");
            }
            _gpuSpeedFactor = value;
        }
    }

    /// <summary>The speed that applies to <paramref name="task"/>'s work: the GPUs' for a task asking for GPUs, else the machine's.</summary>
    public double SpeedFor(Resources task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.Gpus > 0 && _gpuSpeedFactor is { } gpu ? gpu : _speedFactor;
    }

    /// <summary>Whether the machine may be taken away at short notice (spot, preemptible VM).</summary>
    public bool Preemptible { get; init; }

    /// <summary>The price per hour of running <paramref name="task"/> on a machine whose total is <paramref name="agentTotal"/>.</summary>
    public double TaskPricePerHour(Resources task, Resources agentTotal)
    {
        ArgumentNullException.ThrowIfNull(agentTotal);
        var price = UnitPricePerHour(task);
        if (_machinePerHour > 0) price += _machinePerHour * task.DominantShare(agentTotal);
        return price;
    }

    /// <summary>The per-unit part of a task's price per hour: what it pays for the resources it uses, whatever the machine price.</summary>
    public double UnitPricePerHour(Resources task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var price = 0.0;
        foreach (var (name, unitPrice) in _perUnitPerHour) price += unitPrice * task.GetScalar(name).Value;
        return price;
    }

    /// <summary>The price per hour of the whole machine (machine price plus every unit it has at its unit price).</summary>
    public double MachinePricePerHour(Resources agentTotal)
    {
        ArgumentNullException.ThrowIfNull(agentTotal);
        return _machinePerHour + UnitPricePerHour(agentTotal);
    }

    /// <summary>How long work of <paramref name="referenceDuration"/> (at speed 1) takes on this machine.</summary>
    public TimeSpan RuntimeFor(TimeSpan referenceDuration)
    {
        Guard.NonNegative(referenceDuration, "duration");
        return referenceDuration / _speedFactor;
    }

    /// <summary>How long <paramref name="task"/>'s work of <paramref name="referenceDuration"/> (at speed 1) takes here, at <see cref="SpeedFor"/>.</summary>
    public TimeSpan RuntimeFor(Resources task, TimeSpan referenceDuration)
    {
        Guard.NonNegative(referenceDuration, "duration");
        return referenceDuration / SpeedFor(task);
    }

    /// <summary>The chargeback cost of running <paramref name="task"/> here for work of <paramref name="referenceDuration"/> at speed 1.</summary>
    public double TaskCost(Resources task, Resources agentTotal, TimeSpan referenceDuration) =>
        TaskPricePerHour(task, agentTotal) * RuntimeFor(task, referenceDuration).TotalHours;

    /// <inheritdoc />
    public bool Equals(CostModel? other) =>
        other is not null && _machinePerHour.Equals(other._machinePerHour) && _speedFactor.Equals(other._speedFactor) && Nullable.Equals(_gpuSpeedFactor, other._gpuSpeedFactor) &&
        Preemptible == other.Preemptible && _perUnitPerHour.Count == other._perUnitPerHour.Count &&
        _perUnitPerHour.All(kv => other._perUnitPerHour.TryGetValue(kv.Key, out var p) && p.Equals(kv.Value));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_machinePerHour, _speedFactor, _gpuSpeedFactor, Preemptible, _perUnitPerHour.Count);
}
