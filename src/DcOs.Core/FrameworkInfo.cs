namespace DcOs.Core;

/// <summary>What a framework subscribes with.</summary>
public sealed record FrameworkInfo
{
    /// <summary>Empty on first subscription; the id the master gave, when re-subscribing after a failover.</summary>
    public FrameworkId Id { get; init; }

    /// <summary>A human name ("marathon", "jobs").</summary>
    public required string Name { get; init; }

    /// <summary>The authenticated principal, if any.</summary>
    public string? Principal { get; init; }

    /// <summary>The roles the framework subscribes with; Mesos' default is the single role "*".</summary>
    public IReadOnlyList<string> Roles { get; init; } = [ResourceNames.AnyRole];

    /// <summary>
    /// How long the master keeps the framework's tasks after it disconnects. Zero (Mesos' default) removes the framework
    /// and kills its tasks as soon as it disconnects.
    /// </summary>
    public TimeSpan FailoverTimeout { get; init; }

    /// <summary>Declared capabilities.</summary>
    public FrameworkCapabilities Capabilities { get; init; }

    /// <summary>Where the scheduler runs, for display.</summary>
    public string? Hostname { get; init; }

    /// <summary>Whether <see cref="FrameworkCapabilities.PartitionAware"/> is declared.</summary>
    public bool IsPartitionAware => Capabilities.HasFlag(FrameworkCapabilities.PartitionAware);

    /// <summary>Checks every field; throws naming the first one at fault.</summary>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    public FrameworkInfo Validate()
    {
        Guard.NotEmpty(Name, "framework.name");
        ArgumentNullException.ThrowIfNull(Roles);
        if (Roles.Count == 0) Guard.Fail("framework.roles", "must name at least one role");
        for (var i = 0; i < Roles.Count; i++) ResourceNames.ValidateRole(Roles[i], $"framework.roles[{i}]");
        if (Roles.Distinct(StringComparer.Ordinal).Count() != Roles.Count) Guard.Fail("framework.roles", "lists a role twice");
        if (Roles.Count > 1 && !Capabilities.HasFlag(FrameworkCapabilities.MultiRole))
            Guard.Fail("framework.roles", "several roles need the MultiRole capability");
        Guard.NonNegative(FailoverTimeout, "framework.failoverTimeout");
        return this;
    }
}
