using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace DcOs.Cli.Commands;

/// <summary><c>dcos deployment ...</c>: the apps' deployments under way (Marathon's <c>dcos marathon deployment</c>).</summary>
internal static class DeploymentCommands
{
    public static CliCommand Create()
    {
        var (rollbackId, stopId) = (Id(), Id());
        return new CliCommand("deployment", "app deployments under way: progress, roll back, stop")
        {
            new CliCommand("list", "list the deployments under way with their progress").Runs((context, _) => ListAsync(context)),
            new CliCommand("rollback", "cancel a deployment and roll its app back to the version before (a cancelled start removes the app)") { rollbackId }
                .Runs((context, result) => CancelAsync(context, result.GetRequiredValue(rollbackId), force: false)),
            new CliCommand("stop", "forget a deployment without rolling back: the app keeps converging to its new definition") { stopId }
                .Runs((context, result) => CancelAsync(context, result.GetRequiredValue(stopId), force: true)),
        };

        static Argument<string> Id() => Symbols.Required("id", "the deployment's id (dcos deployment list)");
    }

    private static async Task<int> ListAsync(CommandContext context)
    {
        var json = await context.Master.GetAsync("api/deployments", null, context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var deployments = json.EnumerateArray().ToList();
        if (deployments.Count == 0)
        {
            context.Output.Line("no deployments under way");
            return ExitCodes.Ok;
        }
        var table = Output.Table("ID", "APP", "ACTION", "VERSION", "READY", "OLD LEFT");
        foreach (var d in deployments)
        {
            var progress = d.GetProperty("progress");
            var action = d.GetProperty("currentActions")[0].GetProperty("action").GetString() + (d.GetProperty("rollback").GetBoolean() ? " (rollback)" : "");
            table.AddRow(
                new Text(d.GetProperty("id").GetString() ?? "-"),
                new Text(d.GetProperty("affectedApps")[0].GetString() ?? "-"),
                new Text(action),
                new Text($"{d.GetProperty("fromVersion").GetInt32()} -> {d.GetProperty("version").GetInt32()}"),
                new Text($"{progress.GetProperty("instancesReady").GetInt32()}/{progress.GetProperty("instancesWanted").GetInt32()}"),
                new Text(Output.Number(progress.GetProperty("oldInstances").GetInt32())));
        }
        context.Output.Write(table);
        return ExitCodes.Ok;
    }

    private static async Task<int> CancelAsync(CommandContext context, string id, bool force)
    {
        var path = "api/deployments/" + Uri.EscapeDataString(id) + (force ? "?force=true" : "");
        var json = await context.Master.DeleteAsync(path, $"unknown deployment '{id}'", context.Cancellation);
        if (context.Json) context.Output.WriteJson(json);
        else if (force) context.Output.Line($"stopped deployment [bold]{Markup.Escape(id)}[/]; its app keeps its new definition");
        else if (json.TryGetProperty("deploymentId", out var rollback) && rollback.ValueKind == JsonValueKind.String)
            context.Output.Line($"rolling back: deployment [bold]{Markup.Escape(rollback.GetString()!)}[/] to version {json.GetProperty("version").GetInt32()}");
        else context.Output.Line($"cancelled deployment [bold]{Markup.Escape(id)}[/]: the new app was removed");
        return ExitCodes.Ok;
    }
}
