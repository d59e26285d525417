using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace DcOs.Cli.Commands;

/// <summary><c>dcos debug &lt;app-id&gt;</c>: why an app's tasks are pending, from <c>GET /api/pending</c>.</summary>
internal static class DebugCommand
{
    public static CliCommand Create()
    {
        var id = Symbols.Required("app-id", "the app's id, e.g. /web or web");
        return new CliCommand("debug", "why an app's tasks are pending: offer rejections by reason",
            "Shows the master's /api/pending entry for the app: how many tasks wait, and how often offers were\nrejected for each reason (InsufficientCpus, Constraint, ...).") { id }
            .Runs((context, result) => DebugAsync(context, result.GetRequiredValue(id)));
    }

    private static readonly Dictionary<string, string> Hints = new(StringComparer.Ordinal)
    {
        ["InsufficientCpus"] = "no agent has enough free cpus; lower cpus or add agents",
        ["InsufficientMem"] = "no agent has enough free memory; lower mem or add agents",
        ["InsufficientDisk"] = "no agent has enough free disk",
        ["InsufficientGpus"] = "no agent has enough free GPUs",
        ["InsufficientPorts"] = "the ports asked for are taken or outside the agents' ranges",
        ["InsufficientOther"] = "some other resource is short",
        ["Constraint"] = "a placement constraint rules the agents out; check constraints",
        ["Role"] = "resources are reserved for another role, or the quota is reached",
        ["Maintenance"] = "agents are draining or under maintenance",
        ["GpuCapability"] = "the agent has GPUs and the framework did not ask for GPU capability",
    };

    private static async Task<int> DebugAsync(CommandContext context, string id)
    {
        var key = MasterClient.AppKey(id);
        var json = await context.Master.GetAsync("api/pending", null, context.Cancellation);
        JsonElement? found = null;
        if (json.ValueKind == JsonValueKind.Array)
        {
            found = Find(json, "appId", key) ?? Find(json, "jobId", key);
        }
        if (found is { } element)
        {
            if (context.Json)
            {
                context.Output.WriteJson(element);
                return ExitCodes.Ok;
            }
            var entry = MasterClient.Read<PendingEntry>(element, "pending entry");
            context.Output.Line($"[bold]{Markup.Escape(key)}[/]: {entry.Waiting} {(entry.Waiting == 1 ? "task" : "tasks")} waiting");
            var reasons = entry.Reasons ?? [];
            if (reasons.Count > 0)
            {
                var table = Output.Table("REASON", "COUNT", "MEANING");
                foreach (var (reason, count) in reasons.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
                    Output.Row(table, reason, count.ToString(CultureInfo.InvariantCulture), Hints.GetValueOrDefault(reason, ""));
                context.Output.Write(table);
            }
            if (!string.IsNullOrWhiteSpace(entry.Summary)) context.Output.Line(Markup.Escape(entry.Summary));
            else if (reasons.Count == 0) context.Output.Line("no offer was rejected yet: the master may have no free resources to offer");
            return ExitCodes.Ok;
        }

        // Nothing pending: say so for a known app, and fail for an unknown one.
        var appJson = await context.Master.GetAsync(MasterClient.AppPath(id), AppCommands.NotFound(id), context.Cancellation);
        var app = MasterClient.Read<AppInfo>(appJson, "app");
        if (context.Json)
        {
            context.Output.WriteJson(JsonSerializer.SerializeToElement(new { appId = app.Id, jobId = (string?)null, waiting = 0, reasons = new Dictionary<string, long>(), summary = "nothing pending" }));
            return ExitCodes.Ok;
        }
        context.Output.Line($"[bold]{Markup.Escape(key)}[/]: nothing pending ({app.TasksRunning}/{app.Instances} running{(app.Deploying ? ", deploying" : "")})");
        return ExitCodes.Ok;
    }

    private static JsonElement? Find(JsonElement entries, string property, string key)
    {
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
                && MasterClient.AppKey(value.GetString()!) == key)
                return entry;
        }
        return null;
    }
}
