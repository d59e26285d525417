namespace DcOs.Core;

/// <summary>The well-known resource names and the default role.</summary>
public static class ResourceNames
{
    /// <summary>CPU shares, fractional.</summary>
    public const string Cpus = "cpus";

    /// <summary>Memory in MiB.</summary>
    public const string Mem = "mem";

    /// <summary>Disk in MiB.</summary>
    public const string Disk = "disk";

    /// <summary>Whole GPUs.</summary>
    public const string Gpus = "gpus";

    /// <summary>Port ranges.</summary>
    public const string Ports = "ports";

    /// <summary>The unreserved role: resources any role may use.</summary>
    public const string AnyRole = "*";

    /// <summary>Validates a resource or attribute name: letters, digits, '_', '.', '-', '/', at most 64 characters.</summary>
    public static string ValidateName(string? name, string field)
    {
        Guard.NotEmpty(name, field);
        if (name.Length > 64) Guard.Fail(field, $"must be at most 64 characters (got {name.Length})");
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '/'))
                Guard.Fail(field, $"\"{name}\" may contain only letters, digits, '_', '.', '-' and '/'");
        }
        return name;
    }

    /// <summary>
    /// Validates a role name as Mesos does: "*" or a path of segments of letters, digits, '_', '.', '-', separated by
    /// '/', where no segment is empty, "." or ".." and none starts with '-'.
    /// </summary>
    public static string ValidateRole(string? role, string field)
    {
        Guard.NotEmpty(role, field);
        if (role == AnyRole) return role;
        if (role.Length > 128) Guard.Fail(field, $"must be at most 128 characters (got {role.Length})");
        foreach (var segment in role.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || segment[0] == '-')
                Guard.Fail(field, $"\"{role}\" is not a valid role: empty, '.', '..' or '-'-prefixed segment");
            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
                    Guard.Fail(field, $"\"{role}\" is not a valid role: character '{c}' is not allowed");
            }
        }
        return role;
    }
}
