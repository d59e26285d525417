using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DcOs.Cli.Commands;

/// <summary><c>dcos task ...</c>: the tasks of every framework, and their logs.</summary>
internal static class TaskCommands
{
    private const long DefaultTail = 65536;

    public static CliCommand Create()
    {
        var appFilter = Symbols.Value("--app", "ID", "only the tasks of this app");
        var id = Symbols.Required("id", "the task's id");
        var stderr = Symbols.Flag("--stderr", "print stderr instead of stdout");
        var tail = Symbols.Bounded("--tail", "BYTES", $"print the last BYTES bytes (default {DefaultTail})", 1, 1 << 20, "must be a number of bytes from 1 to 1048576");
        return new CliCommand("task", "tasks and their logs")
        {
            new CliCommand("list", "list the tasks: state, agent, health, resources") { appFilter }.Runs((context, result) => ListAsync(context, result.GetValue(appFilter))),
            new CliCommand("log", "print a task's stdout (or --stderr)") { id, stderr, tail }
                .Runs((context, result) => LogAsync(context, result.GetRequiredValue(id), result.GetValue(stderr), result.GetValue(tail) ?? DefaultTail)),
        };
    }

    private static async Task<int> ListAsync(CommandContext context, string? appFilter)
    {
        var json = await context.Master.GetAsync("api/tasks", null, context.Cancellation);
        var app = appFilter is { } a ? MasterClient.AppKey(a) : null;
        if (context.Json && app is null)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var tasks = MasterClient.Read<List<TaskInfo>>(json, "task list");
        if (app is not null)
        {
            tasks = tasks.Where(t => t.AppId is { } id && MasterClient.AppKey(id) == app).ToList();
            if (context.Json)
            {
                // Keep the master's own objects, only filtered.
                var kept = json.EnumerateArray().Where(e => e.TryGetProperty("appId", out var id) && id.ValueKind == JsonValueKind.String && MasterClient.AppKey(id.GetString()!) == app);
                context.Output.WriteJson(JsonSerializer.SerializeToElement(kept.ToList()));
                return ExitCodes.Ok;
            }
        }
        if (tasks.Count == 0)
        {
            context.Output.Line(app is null ? "no tasks" : $"no tasks of app '{Markup.Escape(app)}'");
            return ExitCodes.Ok;
        }
        var now = context.Time.GetUtcNow();
        var table = Output.Table("ID", "APP/JOB", "STATE", "HOST", "HEALTH", "CPUS", "MEM", "PORTS", "STARTED");
        foreach (var task in tasks)
        {
            table.AddRow(
                new Text(task.Id),
                new Text(task.AppId ?? (task.JobId is { } job ? "job " + job : "-")),
                State(task.State),
                new Text(task.Hostname ?? task.AgentId ?? "-"),
                Health(task.Healthy),
                new Text(Output.Number(task.Cpus)),
                new Text(Output.Number(task.Mem)),
                new Text(task.Ports is { Count: > 0 } ports ? string.Join(", ", ports) : "-"),
                new Text(Output.Age(task.StartedAt, now)));
        }
        context.Output.Write(table);
        return ExitCodes.Ok;
    }

    private static async Task<int> LogAsync(CommandContext context, string id, bool stderr, long length)
    {
        var file = stderr ? "stderr" : "stdout";
        var path = string.Create(CultureInfo.InvariantCulture, $"api/tasks/{MasterClient.Segment(id)}/logs?file={file}&offset={-length}&length={length}");
        var json = await context.Master.GetAsync(path, $"unknown task '{id}'", context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var chunk = MasterClient.Read<LogChunk>(json, "task log");
        var data = chunk.Data ?? "";
        context.Output.Stdout.Write(data);
        if (data.Length > 0 && !data.EndsWith('\n')) context.Output.Stdout.WriteLine();
        return ExitCodes.Ok;
    }

    internal static IRenderable State(string? state)
    {
        var text = state ?? "-";
        var color = text switch
        {
            "TASK_RUNNING" or "TASK_FINISHED" => "green",
            "TASK_STAGING" or "TASK_STARTING" or "TASK_KILLING" => "yellow",
            "TASK_FAILED" or "TASK_ERROR" or "TASK_LOST" or "TASK_UNREACHABLE" or "TASK_GONE" or "TASK_DROPPED" => "red",
            _ => "default",
        };
        return Output.Colored(text, color);
    }

    internal static IRenderable Health(bool? healthy) => healthy switch
    {
        true => Output.Colored("healthy", "green"),
        false => Output.Colored("unhealthy", "red"),
        null => new Text("-"),
    };
}
