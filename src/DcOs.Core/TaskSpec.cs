namespace DcOs.Core;

/// <summary>Everything needed to launch one task.</summary>
public sealed record TaskSpec
{
    /// <summary>Mesos' default time between SIGTERM and SIGKILL.</summary>
    public static readonly TimeSpan DefaultKillGracePeriod = TimeSpan.FromSeconds(3);

    /// <summary>The task's id, unique within its framework.</summary>
    public required TaskId Id { get; init; }

    /// <summary>A human name; defaults to the id.</summary>
    public string? Name { get; init; }

    /// <summary>What to run.</summary>
    public required CommandSpec Command { get; init; }

    /// <summary>The resources the task takes (ports as ranges, e.g. <c>ports:[31000-31000]</c>).</summary>
    public Resources Resources { get; init; } = Resources.Empty;

    /// <summary>The GPU model the task needs (compared ignoring case with <see cref="GpuDevice.Model"/>); null: any model.</summary>
    public string? GpuModel { get; init; }

    /// <summary>
    /// The GPU devices (by <see cref="GpuDevice.Index"/>) the task is to use: one for a share of a device, as many as its
    /// <c>gpus</c> for whole devices. Null asks the master to choose (best-fit, <see cref="GpuShares.Choose"/>); the
    /// master records its choice here, and the agent shows the task only these devices.
    /// </summary>
    public IReadOnlyList<int>? GpuDevices { get; init; }

    /// <summary>Placement constraints.</summary>
    public IReadOnlyList<PlacementConstraint> Constraints { get; init; } = [];

    /// <summary>An optional health check.</summary>
    public HealthCheckSpec? HealthCheck { get; init; }

    /// <summary>Time between SIGTERM and SIGKILL when the task is killed.</summary>
    public TimeSpan KillGracePeriod { get; init; } = DefaultKillGracePeriod;

    /// <summary>Free-form labels (app id, job id, version...).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Checks every field; throws naming the first one at fault (e.g. <c>task.resources.cpus</c>).</summary>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    public TaskSpec Validate()
    {
        if (Id.IsEmpty) Guard.Fail("task.id", "must not be empty");
        if (Name is not null) Guard.NotEmpty(Name, "task.name");
        if (Command is null) Guard.Fail("task.command", "is required");
        Command.Validate("task.command");
        ArgumentNullException.ThrowIfNull(Resources);
        if (Resources.IsEmpty) Guard.Fail("task.resources", "a task must use some resources (e.g. cpus and mem)");
        if (Resources.Cpus <= 0 && Resources.MemMb <= 0) Guard.Fail("task.resources", "a task needs cpus or mem greater than zero");
        ValidateGpus();
        ArgumentNullException.ThrowIfNull(Constraints);
        HealthCheck?.Validate("task.healthCheck");
        if (HealthCheck is { Kind: not HealthCheckKind.Command, Port: null } hc && hc.PortIndex >= (int)Math.Min(Resources.Ports.Count, int.MaxValue))
            Guard.Fail("task.healthCheck.portIndex", $"is {hc.PortIndex} but the task has {Resources.Ports.Count} ports");
        Guard.NonNegative(KillGracePeriod, "task.killGracePeriod");
        ArgumentNullException.ThrowIfNull(Labels);
        foreach (var key in Labels.Keys) Guard.NotEmpty(key, "task.labels");
        return this;
    }

    private void ValidateGpus()
    {
        var gpus = Resources.Gpus;
        if (gpus > 1 && gpus != Math.Floor(gpus))
            Guard.Fail("task.resources.gpus", $"is {gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)}: more than one GPU must be a whole number of devices (a share of one device is at most 1)");
        if (GpuModel is not null)
        {
            Guard.NotEmpty(GpuModel, "task.gpuModel");
            if (gpus <= 0) Guard.Fail("task.gpuModel", "is set but the task asks for no GPU (resources.gpus)");
        }
        if (GpuDevices is not { } devices) return;
        var (count, _) = GpuShares.Demand(gpus);
        if (count == 0) Guard.Fail("task.gpuDevices", "are set but the task asks for no GPU (resources.gpus)");
        if (devices.Count != count) Guard.Fail("task.gpuDevices", $"names {devices.Count} device(s) but gpus {gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)} takes {count}");
        for (var i = 0; i < devices.Count; i++)
        {
            if (devices[i] < 0) Guard.Fail($"task.gpuDevices[{i}]", $"must not be negative (got {devices[i]})");
            for (var j = 0; j < i; j++)
            {
                if (devices[j] == devices[i]) Guard.Fail($"task.gpuDevices[{i}]", $"repeats device {devices[i]}");
            }
        }
    }
}
