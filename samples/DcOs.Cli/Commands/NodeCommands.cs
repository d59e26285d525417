using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DcOs.Cli.Commands;

/// <summary><c>dcos node ...</c>: the agents.</summary>
internal static class NodeCommands
{
    public static CliCommand Create()
    {
        var (drainId, reactivateId) = (Id(), Id());
        var grace = Symbols.Duration("--grace-period", "how long tasks get to stop before they are killed", "is not a positive number of seconds");
        return new CliCommand("node", "agents (the machines that run tasks)")
        {
            new CliCommand("list", "list the agents: status, cpus and mem used/total, tasks").Runs((context, _) => ListAsync(context)),
            new CliCommand("drain", "move an agent's tasks elsewhere and stop offering it") { drainId, grace }
                .Runs((context, result) => DrainAsync(context, result.GetRequiredValue(drainId), result.GetValue(grace))),
            new CliCommand("reactivate", "put a drained agent back into service") { reactivateId }
                .Runs((context, result) => ReactivateAsync(context, result.GetRequiredValue(reactivateId))),
        };

        static Argument<string> Id() => Symbols.Required("id", "the agent's id");
    }

    private static async Task<int> ListAsync(CommandContext context)
    {
        var json = await context.Master.GetAsync("api/agents", null, context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var agents = MasterClient.Read<List<AgentInfo>>(json, "agent list");
        if (agents.Count == 0)
        {
            context.Output.Line("no agents registered");
            return ExitCodes.Ok;
        }
        var table = Output.Table("ID", "HOSTNAME", "STATUS", "CPUS (USED/TOTAL)", "MEM MiB (USED/TOTAL)", "TASKS");
        foreach (var agent in agents)
        {
            table.AddRow(
                new Text(agent.Id),
                new Text(agent.Hostname ?? "-"),
                Status(agent.Status),
                new Text($"{Output.Number(agent.Used?.Cpus ?? 0)}/{Output.Number(agent.Total?.Cpus ?? 0)}"),
                new Text($"{Output.Number(agent.Used?.Mem ?? 0, "0")}/{Output.Number(agent.Total?.Mem ?? 0, "0")}"),
                new Text(agent.ActiveTasks.ToString(CultureInfo.InvariantCulture)));
        }
        context.Output.Write(table);
        foreach (var agent in agents.Where(a => !string.IsNullOrEmpty(a.IsolationWarning)))
            context.Output.Warning($"{agent.Hostname ?? agent.Id}: {agent.IsolationWarning}");
        return ExitCodes.Ok;
    }

    private static async Task<int> DrainAsync(CommandContext context, string id, TimeSpan? grace)
    {
        var body = grace is { } g ? JsonSerializer.Serialize(new { gracePeriodSeconds = g.TotalSeconds }) : null;
        var json = await context.Master.PostJsonAsync($"api/agents/{MasterClient.Segment(id)}/drain", body, $"unknown agent '{id}'", context.Cancellation);
        return Report(context, json, id, "draining: its tasks move to other agents");
    }

    private static async Task<int> ReactivateAsync(CommandContext context, string id)
    {
        var json = await context.Master.PostJsonAsync($"api/agents/{MasterClient.Segment(id)}/reactivate", null, $"unknown agent '{id}'", context.Cancellation);
        return Report(context, json, id, "active again");
    }

    private static int Report(CommandContext context, JsonElement json, string id, string what)
    {
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var answer = json.ValueKind == JsonValueKind.Object ? MasterClient.Read<IdStatus>(json, "answer") : new IdStatus(id, null);
        var status = answer.Status is { } s ? $" [grey]({Markup.Escape(s)})[/]" : "";
        context.Output.Line($"agent [bold]{Markup.Escape(answer.Id ?? id)}[/] is {what}{status}");
        return ExitCodes.Ok;
    }

    private static IRenderable Status(string? status) => Output.Colored(status ?? "-", status switch
    {
        "Active" => "green",
        "Recovering" or "Draining" or "Drained" => "yellow",
        "Unreachable" => "red",
        _ => "default",
    });
}
