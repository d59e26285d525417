namespace DcOs.Core;

/// <summary>
/// One GPU of an agent, as the agent reports it: its index (as CUDA and the NVIDIA container runtime number devices),
/// its model and its memory. Tasks ask for whole devices or a share of one (see <see cref="GpuShares"/>).
/// </summary>
public sealed record GpuDevice
{
    /// <summary>The device's index on its agent (what <c>CUDA_VISIBLE_DEVICES</c> names); distinct per agent, not negative.</summary>
    public required int Index { get; init; }

    /// <summary>The model (e.g. <c>A100-SXM4-40GB</c>); empty when unknown. A task may ask for a model (<see cref="TaskSpec.GpuModel"/>).</summary>
    public string Model { get; init; } = "";

    /// <summary>The device's memory in MiB; 0 when unknown.</summary>
    public double MemoryMb { get; init; }

    /// <summary>Checks every field; throws naming the first one at fault under <paramref name="field"/>.</summary>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    public GpuDevice Validate(string field)
    {
        if (Index < 0) Guard.Fail(field + ".index", $"must not be negative (got {Index})");
        ArgumentNullException.ThrowIfNull(Model);
        if (Model.Length > 256 || Model.Any(char.IsControl)) Guard.Fail(field + ".model", "must be at most 256 printable characters");
        Guard.FiniteNonNegative(MemoryMb, field + ".memoryMb");
        return this;
    }
}

/// <summary>A GPU device and the share of it that is free (1 = the whole device), as an offer or a machine to place on carries it.</summary>
/// <param name="Device">The device.</param>
/// <param name="Free">The free share, 0 to 1 in thousandths.</param>
public sealed record GpuAvailability(GpuDevice Device, double Free);
