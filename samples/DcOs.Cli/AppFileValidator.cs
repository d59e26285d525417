using System.Globalization;
using System.Text.Json;

namespace DcOs.Cli;

/// <summary>What a valid app or job file holds that the CLI needs, and what it would ignore.</summary>
internal sealed record ValidatedFile(string Id, string Json, IReadOnlyList<string> Warnings, int? Instances = null);

/// <summary>
/// Checks app and job files before they are sent, so that a mistake is reported with the file and the field at fault
/// (<c>web.json: cpus: must not be negative (got -1)</c>) without a round trip. Mirrors the master's own checks;
/// the master remains the judge of anything this misses.
/// </summary>
internal static class AppFileValidator
{
    public static readonly IReadOnlyList<string> ConstraintOperators = ["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"];

    public static readonly IReadOnlyList<string> CostObjectives = ["cheapest", "fastest", "pack"];

    private static readonly string[] HealthProtocols = ["HTTP", "MESOS_HTTP", "TCP", "MESOS_TCP", "COMMAND"];

    private static readonly HashSet<string> AppFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "id", "cmd", "args", "cpus", "mem", "disk", "gpus", "instances", "ports", "env", "constraints", "healthChecks",
        "costObjective", "upgradeStrategy", "backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds", "killGracePeriodSeconds",
    };

    /// <summary>Marathon fields that DcOs apps do not have: accepted with a warning, as Marathon users will paste them.</summary>
    private static readonly HashSet<string> MarathonOnlyFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "container", "labels", "portDefinitions", "fetch", "uris", "user", "dependencies", "acceptedResourceRoles", "networks",
        "requirePorts", "executor", "taskKillGracePeriodSeconds", "role", "residency", "secrets", "readinessChecks",
        "unreachableStrategy", "killSelection", "version", "versionInfo", "storeUrls",
    };

    private static readonly HashSet<string> JobFields = new(StringComparer.OrdinalIgnoreCase) { "id", "run", "schedule", "description", "labels" };

    private static readonly HashSet<string> JobRunFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "cmd", "cpus", "mem", "disk", "maxRetries", "estimatedDurationSeconds", "deadlineSeconds", "env",
    };

    /// <summary>Validates an app file; throws a <see cref="CliException"/> (exit 1) naming the file and the field.</summary>
    public static ValidatedFile ValidateApp(string json, string fileName)
    {
        var warnings = new List<string>();
        try
        {
            using var document = Parse(json);
            var app = document.RootElement;
            if (app.ValueKind != JsonValueKind.Object) throw new FieldException("(file)", $"must be a JSON object {{\"id\": ..., \"cmd\": ...}} (got {Kind(app)})");
            WarnUnknown(app, AppFields, "", warnings);

            var id = RequiredId(app, "an app id such as \"/web\"");
            var cmd = Text(app, "cmd");
            var args = Get(app, "args") is { } argsValue ? StringList(argsValue, "args") : null;
            if (string.IsNullOrWhiteSpace(cmd) && (args is null || args.Count == 0)) throw new FieldException("cmd", "is required (the shell command the app runs)");
            if (cmd is not null && args is { Count: > 0 }) throw new FieldException("cmd", "give cmd or args, not both");

            var cpus = NonNegative(app, "cpus") ?? 1;
            var mem = NonNegative(app, "mem") ?? 128;
            NonNegative(app, "disk");
            NonNegative(app, "gpus");
            if (cpus <= 0 && mem <= 0) throw new FieldException("cpus", "an app needs cpus or mem greater than zero");
            var instances = Integer(app, "instances");
            if (instances < 0) throw new FieldException("instances", $"must not be negative (got {instances})");

            var portCount = 0;
            if (Get(app, "ports") is { } ports)
            {
                if (ports.ValueKind != JsonValueKind.Array) throw new FieldException("ports", $"must be an array of port numbers, 0 for any (got {Kind(ports)})");
                var i = 0;
                foreach (var port in ports.EnumerateArray())
                {
                    var value = IntegerValue(port, $"ports[{i}]");
                    if (value is < 0 or > 65535) throw new FieldException($"ports[{i}]", $"must be 0 (any) or a port number, not {value}");
                    i++;
                }
                portCount = i;
            }
            if (Get(app, "env") is { } env) Env(env, "env");
            if (Get(app, "costObjective") is { } objective)
            {
                var text = objective.ValueKind == JsonValueKind.String ? objective.GetString() : null;
                if (text is null || !CostObjectives.Contains(text))
                    throw new FieldException("costObjective", $"must be cheapest, fastest or pack (got {Show(objective)})");
            }
            if (Get(app, "constraints") is { } constraints) Constraints(constraints);
            if (Get(app, "healthChecks") is { } checks) HealthChecks(checks, portCount, warnings);
            if (Get(app, "upgradeStrategy") is { } strategy)
            {
                if (strategy.ValueKind != JsonValueKind.Object) throw new FieldException("upgradeStrategy", $"must be an object (got {Kind(strategy)})");
                foreach (var name in new[] { "minimumHealthCapacity", "maximumOverCapacity" })
                {
                    if (Number(strategy, name, $"upgradeStrategy.{name}") is { } v && v is < 0 or > 1)
                        throw new FieldException($"upgradeStrategy.{name}", $"must be between 0 and 1 (got {Raw(Get(strategy, name)!.Value)})");
                }
            }
            var backoff = Number(app, "backoffSeconds");
            if (backoff is { } b && !(b > 0)) throw new FieldException("backoffSeconds", $"must be positive (got {Raw(Get(app, "backoffSeconds")!.Value)})");
            if (Number(app, "backoffFactor") is { } f && !(f >= 1)) throw new FieldException("backoffFactor", $"must be at least 1 (got {Raw(Get(app, "backoffFactor")!.Value)})");
            if (Number(app, "maxLaunchDelaySeconds") is { } m && !(m >= (backoff ?? 1)))
                throw new FieldException("maxLaunchDelaySeconds", "must be at least backoffSeconds");
            NonNegative(app, "killGracePeriodSeconds");
            return new ValidatedFile(id, json, warnings, instances ?? 1);
        }
        catch (FieldException e)
        {
            throw new CliException(ExitCodes.Error, $"{fileName}: {e.Field}: {e.Message}");
        }
        catch (SyntaxException e)
        {
            throw new CliException(ExitCodes.Error, $"{fileName}: {e.Message}");
        }
    }

    /// <summary>Validates a job file; throws a <see cref="CliException"/> (exit 1) naming the file and the field.</summary>
    public static ValidatedFile ValidateJob(string json, string fileName)
    {
        var warnings = new List<string>();
        try
        {
            using var document = Parse(json);
            var job = document.RootElement;
            if (job.ValueKind != JsonValueKind.Object) throw new FieldException("(file)", $"must be a JSON object {{\"id\": ..., \"run\": {{...}}}} (got {Kind(job)})");
            WarnUnknown(job, JobFields, "", warnings);
            var id = RequiredId(job, "a job id such as \"nightly-report\"");
            var run = Get(job, "run") ?? throw new FieldException("run", "is required: {\"cmd\": ..., \"cpus\": ..., \"mem\": ...}");
            if (run.ValueKind != JsonValueKind.Object) throw new FieldException("run", $"must be an object (got {Kind(run)})");
            WarnUnknown(run, JobRunFields, "run.", warnings);
            if (string.IsNullOrWhiteSpace(Text(run, "cmd", "run.cmd"))) throw new FieldException("run.cmd", "is required (the shell command the job runs)");
            var cpus = NonNegative(run, "cpus", "run.cpus") ?? 0.1;
            var mem = NonNegative(run, "mem", "run.mem") ?? 32;
            NonNegative(run, "disk", "run.disk");
            if (cpus <= 0 && mem <= 0) throw new FieldException("run.cpus", "a job needs cpus or mem greater than zero");
            var retries = Integer(run, "maxRetries", "run.maxRetries");
            if (retries < 0) throw new FieldException("run.maxRetries", $"must not be negative (got {retries})");
            NonNegative(run, "estimatedDurationSeconds", "run.estimatedDurationSeconds");
            if (Number(run, "deadlineSeconds", "run.deadlineSeconds") is { } deadline && !(deadline > 0))
                throw new FieldException("run.deadlineSeconds", $"must be a positive number of seconds (got {Raw(Get(run, "deadlineSeconds")!.Value)})");
            if (Get(run, "env") is { } env) Env(env, "run.env");
            if (Get(job, "schedule") is { } schedule)
            {
                if (schedule.ValueKind != JsonValueKind.String) throw new FieldException("schedule", $"must be a cron expression string such as \"*/5 * * * *\" (got {Kind(schedule)})");
                Cron(schedule.GetString()!);
            }
            return new ValidatedFile(id, json, warnings);
        }
        catch (FieldException e)
        {
            throw new CliException(ExitCodes.Error, $"{fileName}: {e.Field}: {e.Message}");
        }
        catch (SyntaxException e)
        {
            throw new CliException(ExitCodes.Error, $"{fileName}: {e.Message}");
        }
    }

    /// <summary>Checks a five-field cron expression (minute hour day month weekday) as the master reads it.</summary>
    private static void Cron(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5) throw new FieldException("schedule", $"\"{text}\" is not a five-field cron expression (minute hour day month weekday)");
        CronField(parts[0], 0, 59, "minute");
        CronField(parts[1], 0, 23, "hour");
        CronField(parts[2], 1, 31, "day");
        CronField(parts[3], 1, 12, "month");
        CronField(parts[4], 0, 7, "weekday");
    }

    private static void CronField(string text, int min, int max, string name)
    {
        foreach (var item in text.Split(','))
        {
            var range = item;
            var slash = item.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                if (!int.TryParse(item[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step < 1)
                    throw new FieldException("schedule", $"bad step in {name} \"{item}\"");
                range = item[..slash];
            }
            if (range == "*") continue;
            var dash = range.IndexOf('-', StringComparison.Ordinal);
            if (!int.TryParse(dash < 0 ? range : range[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var lo) ||
                !int.TryParse(dash < 0 ? range : range[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var hi))
                throw new FieldException("schedule", $"\"{item}\" is not a valid {name}");
            if (lo < min || hi > max || lo > hi) throw new FieldException("schedule", $"{name} \"{item}\" is outside {min}-{max}");
        }
    }

    private static JsonDocument Parse(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) throw new SyntaxException("the file is empty");
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            var reason = e.Message;
            var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut >= 0) reason = reason[..cut];
            reason = Output.OneLine(reason).TrimEnd('.', ' ');
            throw new SyntaxException($"invalid JSON at line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}: {reason}");
        }
    }

    private static string RequiredId(JsonElement root, string example)
    {
        var id = Text(root, "id");
        var key = id?.Trim().Trim('/') ?? "";
        if (key.Length == 0) throw new FieldException("id", $"is required ({example})");
        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '/'))
                throw new FieldException("id", $"\"{id}\" may contain only letters, digits, '.', '-' and '/'");
        }
        if (key.Contains("//", StringComparison.Ordinal)) throw new FieldException("id", $"\"{id}\" has an empty path segment");
        return id!.Trim();
    }

    private static void Constraints(JsonElement constraints)
    {
        if (constraints.ValueKind != JsonValueKind.Array) throw new FieldException("constraints", $"must be an array such as [[\"hostname\", \"UNIQUE\"]] (got {Kind(constraints)})");
        var i = 0;
        foreach (var constraint in constraints.EnumerateArray())
        {
            var field = $"constraints[{i++}]";
            if (constraint.ValueKind != JsonValueKind.Array) throw new FieldException(field, $"must be [field, OPERATOR] or [field, OPERATOR, value] (got {Kind(constraint)})");
            var parts = StringList(constraint, field);
            if (parts.Count is < 2 or > 3) throw new FieldException(field, $"must be [field, OPERATOR] or [field, OPERATOR, value] (got {parts.Count} items)");
            if (string.IsNullOrWhiteSpace(parts[0])) throw new FieldException(field + ".field", "must not be empty");
            var op = parts[1].Trim().ToUpperInvariant();
            if (!ConstraintOperators.Contains(op))
                throw new FieldException(field + ".operator", $"unknown operator \"{parts[1]}\"; expected UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS");
            var value = parts.Count == 3 && parts[2].Length > 0 ? parts[2] : null;
            switch (op)
            {
                case "LIKE" or "UNLIKE":
                    if (value is null) throw new FieldException(field + ".value", $"{op} needs a regular expression");
                    try
                    {
                        _ = new System.Text.RegularExpressions.Regex(value, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(250));
                    }
                    catch (ArgumentException e)
                    {
                        throw new FieldException(field + ".value", $"\"{value}\" is not a valid regular expression: {Output.OneLine(e.Message)}");
                    }
                    break;
                case "MAX_PER":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var max) || max < 1)
                        throw new FieldException(field + ".value", "MAX_PER needs the maximum number of tasks per value (a positive whole number)");
                    break;
                case "GROUP_BY":
                    if (value is not null && (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var groups) || groups < 1))
                        throw new FieldException(field + ".value", "GROUP_BY takes the minimum number of groups (a positive whole number)");
                    break;
                case "IS":
                    if (value is null) throw new FieldException(field + ".value", "IS needs the value to compare with");
                    break;
            }
        }
    }

    private static void HealthChecks(JsonElement checks, int portCount, List<string> warnings)
    {
        if (checks.ValueKind != JsonValueKind.Array) throw new FieldException("healthChecks", $"must be an array of health checks (got {Kind(checks)})");
        var i = 0;
        foreach (var check in checks.EnumerateArray())
        {
            var field = $"healthChecks[{i++}]";
            if (check.ValueKind != JsonValueKind.Object) throw new FieldException(field, $"must be an object (got {Kind(check)})");
            var protocol = (Text(check, "protocol", field + ".protocol") ?? "HTTP").ToUpperInvariant();
            if (!HealthProtocols.Contains(protocol)) throw new FieldException(field + ".protocol", $"must be HTTP, TCP or COMMAND (got \"{Text(check, "protocol", field + ".protocol")}\")");
            var portIndex = Integer(check, "portIndex", field + ".portIndex") ?? 0;
            var hasPort = Get(check, "port") is { ValueKind: not JsonValueKind.Null };
            if (protocol != "COMMAND" && !hasPort && (portIndex < 0 || portIndex >= portCount))
                throw new FieldException(field + ".portIndex", $"is {portIndex} but the app has {portCount} ports (add \"ports\": [0])");
            if (protocol == "COMMAND")
            {
                var command = Get(check, "command");
                var value = command is { ValueKind: JsonValueKind.Object } c ? Text(c, "value", field + ".command.value") : null;
                if (string.IsNullOrWhiteSpace(value)) throw new FieldException(field + ".command", "a COMMAND check needs command.value");
            }
            foreach (var name in new[] { "gracePeriodSeconds", "intervalSeconds", "timeoutSeconds", "delaySeconds" }) NonNegative(check, name, $"{field}.{name}");
            var failures = Integer(check, "maxConsecutiveFailures", field + ".maxConsecutiveFailures");
            if (failures < 0) throw new FieldException(field + ".maxConsecutiveFailures", $"must not be negative (got {failures})");
        }
        if (i > 1) warnings.Add($"only the first of the {i} health checks is used");
    }

    private static void Env(JsonElement env, string field)
    {
        if (env.ValueKind != JsonValueKind.Object) throw new FieldException(field, $"must be an object of names to strings (got {Kind(env)})");
        foreach (var variable in env.EnumerateObject())
        {
            if (variable.Name.Length == 0 || variable.Name.Contains('=', StringComparison.Ordinal))
                throw new FieldException(field, $"\"{variable.Name}\" is not a variable name");
            if (variable.Value.ValueKind != JsonValueKind.String)
                throw new FieldException($"{field}.{variable.Name}", $"must be a string (got {Kind(variable.Value)}); quote it");
        }
    }

    private static void WarnUnknown(JsonElement obj, HashSet<string> known, string prefix, List<string> warnings)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (known.Contains(property.Name)) continue;
            warnings.Add(MarathonOnlyFields.Contains(property.Name)
                ? $"{prefix}{property.Name}: Marathon field not supported by DcOs; ignored"
                : $"{prefix}{property.Name}: unknown field; ignored");
        }
    }

    private static JsonElement? Get(JsonElement obj, string name)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
        }
        return null;
    }

    private static string? Text(JsonElement obj, string name, string? field = null)
    {
        if (Get(obj, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.String) throw new FieldException(field ?? name, $"must be a string (got {Kind(value)} {Raw(value)})");
        return value.GetString();
    }

    private static List<string> StringList(JsonElement array, string field)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new FieldException(field, $"must be an array of strings (got {Kind(array)})");
        var list = new List<string>();
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw new FieldException($"{field}[{i}]", $"must be a string (got {Kind(item)} {Raw(item)})");
            list.Add(item.GetString()!);
            i++;
        }
        return list;
    }

    /// <summary>A number, or a string holding one (the master accepts both); null when absent.</summary>
    private static double? Number(JsonElement obj, string name, string? field = null)
    {
        if (Get(obj, name) is not { } value) return null;
        field ??= name;
        double number;
        if (value.ValueKind == JsonValueKind.Number) number = value.GetDouble();
        else if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) number = parsed;
        else throw new FieldException(field, $"must be a number (got {Show(value)})");
        if (!double.IsFinite(number)) throw new FieldException(field, $"must be a finite number (got {Show(value)})");
        return number;
    }

    private static double? NonNegative(JsonElement obj, string name, string? field = null)
    {
        var number = Number(obj, name, field);
        if (number < 0) throw new FieldException(field ?? name, $"must not be negative (got {Raw(Get(obj, name)!.Value)})");
        return number;
    }

    private static int? Integer(JsonElement obj, string name, string? field = null) =>
        Get(obj, name) is { } value ? IntegerValue(value, field ?? name) : null;

    private static int IntegerValue(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n)) return n;
        if (value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)) return parsed;
        throw new FieldException(field, $"must be a whole number (got {Show(value)})");
    }

    private static string Raw(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static string Show(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length > 40 ? text[..37] + "..." : text;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>A field at fault; becomes "file: field: message".</summary>
    private sealed class FieldException(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }

    private sealed class SyntaxException(string message) : Exception(message);
}
