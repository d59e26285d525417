using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DcOs.Cli.Commands;

/// <summary><c>dcos job ...</c>: run-to-completion jobs (the jobs framework, Metronome-like).</summary>
internal static class JobCommands
{
    public static CliCommand Create()
    {
        var file = Symbols.Required("file.json", "the job's definition");
        var (runId, historyId, removeId) = (Id(), Id(), Id());
        return new CliCommand("job", "batch jobs (Metronome-like), run now or on a cron schedule")
        {
            new CliCommand("add", "create a job from a JSON file",
                "The file looks like\n{\"id\": \"nightly-report\", \"run\": {\"cmd\": \"echo done\", \"cpus\": 0.1, \"mem\": 32}, \"schedule\": \"0 3 * * *\"}\nWith run.deadlineSeconds (and run.estimatedDurationSeconds) a run goes to the cheapest agent that finishes in time.") { file }
                .Runs((context, result) => AddAsync(context, result.GetRequiredValue(file))),
            new CliCommand("run", "start a run of a job now") { runId }.Runs((context, result) => RunAsync(context, result.GetRequiredValue(runId))),
            new CliCommand("list", "list the jobs with their schedule and last run").Runs((context, _) => ListAsync(context)),
            new CliCommand("history", "list a job's runs, newest first") { historyId }.Runs((context, result) => HistoryAsync(context, result.GetRequiredValue(historyId))),
            new CliCommand("remove", "remove a job") { removeId }.Runs((context, result) => RemoveAsync(context, result.GetRequiredValue(removeId))),
        };

        static Argument<string> Id() => Symbols.Required("id", "the job's id");
    }

    private static string NotFound(string id) => $"unknown job '{id}'";

    private static async Task<int> AddAsync(CommandContext context, string path)
    {
        var json = await CommandHelpers.PostFileAsync(context, "api/jobs", path);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var job = MasterClient.Read<JobInfo>(json, "job");
        var schedule = job.Schedule is { Length: > 0 } s ? $" on schedule [bold]{Markup.Escape(s)}[/] (UTC)" : "; start it with 'dcos job run " + Markup.Escape(job.Id ?? "?") + "'";
        context.Output.Line($"created job [bold]{Markup.Escape(job.Id ?? "?")}[/]{schedule}");
        return ExitCodes.Ok;
    }

    private static async Task<int> RunAsync(CommandContext context, string id)
    {
        var json = await context.Master.PostJsonAsync($"api/jobs/{MasterClient.Segment(id)}/run", null, NotFound(id), context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var started = MasterClient.Read<RunStarted>(json, "answer");
        context.Output.Line($"started run [bold]{Markup.Escape(started.RunId ?? "?")}[/] of job {Markup.Escape(id)}; see 'dcos job history {Markup.Escape(id)}'");
        return ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(CommandContext context)
    {
        var json = await context.Master.GetAsync("api/jobs", null, context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var jobs = MasterClient.Read<List<JobInfo>>(json, "job list");
        if (jobs.Count == 0)
        {
            context.Output.Line("no jobs; add one with 'dcos job add <file.json>'");
            return ExitCodes.Ok;
        }
        var now = context.Time.GetUtcNow();
        var table = Output.Table("ID", "SCHEDULE", "CPUS", "MEM", "DEADLINE", "LAST RUN", "FINISHED", "CMD");
        foreach (var job in jobs.OrderBy(j => j.Id, StringComparer.Ordinal))
        {
            table.AddRow(
                new Text(job.Id),
                new Text(job.Schedule ?? "-"),
                new Text(Output.Number(job.Run?.Cpus ?? 0)),
                new Text(Output.Number(job.Run?.Mem ?? 0)),
                new Text(job.Run?.DeadlineSeconds is { } d ? Output.Number(d) + " s" : "-"),
                job.LastRun is { } last ? RunStatus(last.Status) : new Text("never"),
                new Text(Output.Age(job.LastRun?.FinishedAt, now)),
                new Text(Output.Truncate(job.Run?.Cmd, 50)));
        }
        context.Output.Write(table);
        return ExitCodes.Ok;
    }

    private static async Task<int> HistoryAsync(CommandContext context, string id)
    {
        var json = await context.Master.GetAsync($"api/jobs/{MasterClient.Segment(id)}/history", NotFound(id), context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var runs = MasterClient.Read<List<JobRun>>(json, "job history");
        if (runs.Count == 0)
        {
            context.Output.Line($"job {Markup.Escape(id)} has not run yet; start it with 'dcos job run {Markup.Escape(id)}'");
            return ExitCodes.Ok;
        }
        var now = context.Time.GetUtcNow();
        var table = Output.Table("RUN", "STATUS", "EXIT", "ATTEMPTS", "AGENT", "STARTED", "DURATION", "COST", "MESSAGE");
        foreach (var run in runs)
        {
            var duration = run is { StartedAt: { } s, FinishedAt: { } f } ? CommandHelpers.Seconds(f - s) : "-";
            table.AddRow(
                new Text(run.RunId ?? "-"),
                RunStatus(run.Status),
                new Text(run.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"),
                new Text(run.Attempts.ToString(CultureInfo.InvariantCulture)),
                new Text(run.AgentId ?? "-"),
                new Text(Output.Age(run.StartedAt, now)),
                new Text(duration),
                new Text(run.CostEstimate is { } c ? Output.Money(c) : "-"),
                new Text(Output.Truncate(run.Message, 60)));
        }
        context.Output.Write(table);
        return ExitCodes.Ok;
    }

    private static async Task<int> RemoveAsync(CommandContext context, string id)
    {
        var json = await context.Master.DeleteAsync($"api/jobs/{MasterClient.Segment(id)}", NotFound(id), context.Cancellation);
        if (context.Json) context.Output.WriteJson(json);
        else context.Output.Line($"removed job [bold]{Markup.Escape(id)}[/]");
        return ExitCodes.Ok;
    }

    private static IRenderable RunStatus(string? status) => Output.Colored(status ?? "-", status switch
    {
        "SUCCESS" => "green",
        "PENDING" or "RUNNING" => "yellow",
        "FAILED" => "red",
        _ => "default",
    });
}
