using Spectre.Console;

namespace DcOs.Cli.Commands;

/// <summary><c>dcos cluster ...</c>: the cluster as a whole.</summary>
internal static class ClusterCommands
{
    public static CliCommand Create() => new("cluster", "the cluster as a whole")
    {
        new CliCommand("cost", "what the running tasks cost per hour, by agent and by app").Runs((context, _) => CostAsync(context)),
    };

    private static async Task<int> CostAsync(CommandContext context)
    {
        var json = await context.Master.GetAsync("api/cost", null, context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var cost = MasterClient.Read<CostReport>(json, "cost report");
        context.Output.Line($"total: [bold]{Output.Money(cost.TotalPerHour)}[/] per hour");
        context.Output.Out.WriteLine();

        var agents = Output.Table("AGENT", "HOSTNAME", "TASKS PER HOUR", "MACHINE PER HOUR", "CPU UTILIZATION");
        agents.Title("by agent");
        foreach (var agent in cost.ByAgent ?? [])
            Output.Row(agents, agent.AgentId, agent.Hostname, Output.Money(agent.PerHour), Output.Money(agent.MachinePerHour), Output.Percent(agent.Utilization));
        if ((cost.ByAgent ?? []).Count == 0) context.Output.Line("no agents registered");
        else context.Output.Write(agents);

        var apps = Output.Table("APP", "INSTANCES", "PER HOUR");
        apps.Title("by app");
        foreach (var app in cost.ByApp ?? [])
            Output.Row(apps, app.AppId, Output.Number(app.Instances), Output.Money(app.PerHour));
        if ((cost.ByApp ?? []).Count == 0) context.Output.Line("no app tasks are running");
        else context.Output.Write(apps);
        return ExitCodes.Ok;
    }
}
