using DcOs.Core;

namespace DcOs.Scheduling.Allocation;

/// <summary>
/// A role's quota: <see cref="Guarantee"/> is offered to the role before other roles and held back from them while
/// unmet; <see cref="Limit"/> caps what the role is offered. Scalars only (cpus, mem, disk, gpus).
/// </summary>
/// <param name="Guarantee">Resources the role is guaranteed; empty for none.</param>
/// <param name="Limit">The most the role may hold; null for no limit.</param>
public sealed record RoleQuota(Resources Guarantee, Resources? Limit = null);
