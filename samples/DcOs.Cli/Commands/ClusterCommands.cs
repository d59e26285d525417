using Spectre.Console;

namespace DcOs.Cli.Commands;

/// <summary><c>dcos cluster ...</c>: the cluster as a whole.</summary>
internal static class ClusterCommands
{
    public static CliCommand Create()
    {
        var url = Symbols.Required("url", "the master's HTTP API, e.g. https://10.0.0.5:5080");
        var tokenFile = Symbols.Value("--token-file", "FILE", $"a file with the admin token (admin.token in the master's data dir); default ${CliConfig.TokenVariable}");
        var principal = Symbols.Required("principal", "the framework's principal, e.g. team-a");
        var outFile = Symbols.Value("--out", "FILE", "write the token to FILE (readable by you only) rather than print it");
        var maxMoves = Symbols.Bounded("--max-moves", "K", "move at most K app instances (default 10)", 0, 10_000, "must be a number from 0 to 10000");
        var apply = Symbols.Flag("--apply", "carry the moves out: each instance is replaced on its target first, then killed once the replacement is ready");
        return new CliCommand("cluster", "the cluster as a whole")
        {
            new CliCommand("credential", "mint the credential a framework of another machine connects with",
                "Prints a token for the principal (or writes it with --out). A framework gives it to FrameworkOptions.Credentials\n" +
                "(ClientCredentials.FromToken(token, PeerRole.Framework)); the frameworks of one principal may fail over to each\n" +
                "other, and no other principal may subscribe with their ids. Needs the admin token.") { principal, outFile }
                .Runs((context, result) => CredentialAsync(context, result.GetRequiredValue(principal), result.GetValue(outFile))),
            new CliCommand("cost", "what the running tasks cost per hour, by agent and by app").Runs((context, _) => CostAsync(context)),
            new CliCommand("consolidate", "what moving at most K app instances would save; --apply moves them",
                "Plans moves that empty machines so they can be switched off, dearest per instance first, and prints the bill\nbefore and after. Nothing moves unless --apply: then each instance gets a replacement on its target first and\nis killed once the replacement is ready (healthy, with a health check), so no app has fewer ready instances.") { maxMoves, apply }
                .Runs((context, result) => ConsolidateAsync(context, result.GetValue(maxMoves), result.GetValue(apply))),
            new CliCommand("setup", "remember a master's URL and admin token for every later command",
                $"Checks the token against the master, then stores both in {CliConfig.DirVariable} (default ~/.config/dcos)/config.json,\nreadable by you only. --master, ${Cli.MasterVariable} and ${CliConfig.TokenVariable} still win over what is stored.") { url, tokenFile }
                .Runs((context, result) => SetupAsync(context, result.GetRequiredValue(url), result.GetValue(tokenFile))),
        };
    }

    private static async Task<int> SetupAsync(CommandContext context, string url, string? tokenFile)
    {
        var normalized = MasterClient.NormalizeUrl(url, "url");
        var token = tokenFile is not null ? CommandHelpers.ReadFile(tokenFile).Trim() : context.Environment(CliConfig.TokenVariable)?.Trim();
        if (string.IsNullOrEmpty(token))
            throw new UsageException($"give the admin token with --token-file FILE (admin.token in the master's data dir) or ${CliConfig.TokenVariable}");
        using (var master = context.Connect(normalized, token))
        {
            // A wrong token is refused by the master even on a read, so this proves the token before it is kept.
            await master.GetAsync("api/agents", null, context.Cancellation);
        }
        var path = new CliConfig(normalized, token).Save(context.Environment);
        if (context.Json) context.Output.WriteJson(System.Text.Json.JsonSerializer.SerializeToElement(new { url = normalized, config = path }));
        else context.Output.Line($"the master at [bold]{Markup.Escape(normalized)}[/] accepted the token; stored in {Markup.Escape(path)}");
        return ExitCodes.Ok;
    }

    private static async Task<int> CredentialAsync(CommandContext context, string principal, string? outFile)
    {
        var body = System.Text.Json.JsonSerializer.Serialize(new { principal });
        var json = await context.Master.PostJsonAsync("api/frameworks/credentials", body, null, context.Cancellation);
        var token = json.GetProperty("token").GetString()!;
        if (outFile is not null)
        {
            CommandHelpers.WriteOwnerOnly(outFile, token + "\n");
            if (context.Json) context.Output.WriteJson(System.Text.Json.JsonSerializer.SerializeToElement(new { principal, file = Path.GetFullPath(outFile) }));
            else context.Output.Line($"the credential of [bold]{Markup.Escape(principal)}[/] is in {Markup.Escape(Path.GetFullPath(outFile))}");
        }
        else if (context.Json)
        {
            context.Output.WriteJson(json);
        }
        else
        {
            context.Output.Out.WriteLine(token);
        }
        return ExitCodes.Ok;
    }

    private static async Task<int> ConsolidateAsync(CommandContext context, long? maxMoves, bool apply)
    {
        var path = $"api/consolidation?maxMoves={maxMoves ?? 10}";
        var json = apply ? await context.Master.PostJsonAsync(path, null, null, context.Cancellation) : await context.Master.GetAsync(path, null, context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var plan = MasterClient.Read<ConsolidationReport>(json, "consolidation plan");
        var moves = plan.Moves ?? [];
        var off = plan.MachinesSwitchedOff ?? [];
        context.Output.Line(moves.Count == 0
            ? $"no move of at most {Output.Number(plan.MaxMoves)} instance(s) lowers the bill ({Output.Money(plan.BillBeforePerHour)} per hour)"
            : $"moving {Output.Number(moves.Count)} instance(s) switches off {Output.Number(off.Count)} machine(s): {Output.Money(plan.BillBeforePerHour)} -> [bold]{Output.Money(plan.BillAfterPerHour)}[/] per hour (saves {Output.Money(plan.SavingsPerHour)})");
        if ((plan.IdleMachines ?? []).Count > 0)
            context.Output.Line($"idle already: {string.Join(", ", plan.IdleMachines!)} ({Output.Money(plan.IdlePerHour)} per hour while on)");
        if (moves.Count == 0) return ExitCodes.Ok;
        var table = Output.Table("TASK", "APP", "FROM", "TO");
        foreach (var move in moves) Output.Row(table, move.TaskId, move.AppId ?? "", move.From, move.To);
        context.Output.Write(table);
        if (plan.Started is { } started)
            context.Output.Line($"moving {Output.Number(started.Count)} instance(s) now: each is replaced on its target first (dcos task list shows the progress)");
        return ExitCodes.Ok;
    }

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
        if (cost.IdleMachines > 0)
            context.Output.Line($"idle: {Output.Money(cost.IdlePerHour)} per hour on {Output.Number(cost.IdleMachines)} machine(s) running nothing (paid while they are on)");
        if (cost.SavingsVsFirstFitPerHour is { } saved)
            context.Output.Line($"first-fit: {Output.Money(cost.FirstFitPerHour ?? 0)} per hour for the same tasks; this placement saves {Output.Money(saved)} per hour (idle machines aside)");
        else if (cost.FirstFitUnplaced is > 0)
            context.Output.Line($"first-fit: could not place {Output.Number(cost.FirstFitUnplaced.Value)} of the running tasks from scratch");
        context.Output.Out.WriteLine();

        var agents = Output.Table("AGENT", "HOSTNAME", "TASKS", "BILL PER HOUR", "CPU UTILIZATION");
        agents.Title("by agent");
        foreach (var agent in cost.ByAgent ?? [])
            Output.Row(agents, agent.AgentId, agent.Hostname, agent.Idle ? "idle" : Output.Number(agent.Tasks), Output.Money(agent.PerHour), Output.Percent(agent.Utilization));
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
