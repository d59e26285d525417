using DcOs.Core;

namespace DcOs.Agent;

/// <summary>What the machine costs and how fast it is, as plain settings (bindable from configuration); becomes the agent's <see cref="CostModel"/>.</summary>
public sealed class AgentCostOptions
{
    /// <summary>Price of the whole machine per hour. Default 0.</summary>
    public double MachinePerHour { get; set; }

    /// <summary>Price per unit of a resource per hour, by resource name (e.g. cpus 0.02, mem 0.000005 per MiB). Default none.</summary>
    public IDictionary<string, double> PerUnitPerHour { get; set; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Relative speed (2 = work takes half the time of the reference machine). Default 1.</summary>
    public double SpeedFactor { get; set; } = 1.0;

    /// <summary>Relative speed of the machine's GPUs, for tasks that ask for GPUs. Default: <see cref="SpeedFactor"/>.</summary>
    public double? GpuSpeedFactor { get; set; }

    /// <summary>Whether the machine may be taken away at short notice (spot, preemptible). Default false.</summary>
    public bool Preemptible { get; set; }

    /// <summary>The cost model; throws <see cref="ArgumentException"/> naming the setting at fault.</summary>
    public CostModel ToCostModel()
    {
        try
        {
            return new CostModel
            {
                MachinePerHour = MachinePerHour,
                PerUnitPerHour = new Dictionary<string, double>(PerUnitPerHour ?? new Dictionary<string, double>(), StringComparer.Ordinal),
                SpeedFactor = SpeedFactor,
                GpuSpeedFactor = GpuSpeedFactor,
                Preemptible = Preemptible,
            };
        }
        catch (ValidationException e)
        {
            throw new ArgumentException($"AgentOptions.Cost: {e.Message}", nameof(AgentOptions.Cost), e);
        }
    }
}
