using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DcOs.Cli.Commands;

/// <summary><c>dcos app ...</c>: long-running services (the services framework, Marathon-like).</summary>
internal static class AppCommands
{
    public static CliCommand Create()
    {
        var file = Symbols.Required("file.json", "the app's definition, with Marathon's field names");
        var (addWait, scaleWait, restartWait) = (new WaitOptions(), new WaitOptions(), new WaitOptions());
        var (showId, scaleId, restartId, removeId) = (Id(), Id(), Id(), Id());
        var count = Symbols.WholeNumber("n", "the number of instances", "the number of instances");
        // Marathon's ?force=true: the change replaces a deployment of the app under way instead of being refused (409).
        var (scaleForce, restartForce) = (Force(), Force());
        return new CliCommand("app", "long-running apps (Marathon-like services)")
        {
            addWait.AddTo(new CliCommand("add", "create an app from a JSON file and wait until it runs",
                "The file uses Marathon's field names, e.g.\n{\"id\": \"/web\", \"cmd\": \"python3 -m http.server $PORT0\", \"cpus\": 0.1, \"mem\": 32, \"instances\": 2, \"ports\": [0]}\nThe master checks it; an error names the field at fault and nothing is created.") { file }
                .Runs((context, result) => AddAsync(context, result.GetRequiredValue(file), addWait.Read(result)))),
            new CliCommand("list", "list the apps with their running and healthy instances").Runs((context, _) => ListAsync(context)),
            new CliCommand("show", "show an app's definition and its tasks") { showId }.Runs((context, result) => ShowAsync(context, result.GetRequiredValue(showId))),
            scaleWait.AddTo(new CliCommand("scale", "change the number of instances and wait until they run") { scaleId, count, scaleForce }
                .Runs((context, result) => ScaleAsync(context, result.GetRequiredValue(scaleId), result.GetValue(count), result.GetValue(scaleForce), scaleWait.Read(result)))),
            restartWait.AddTo(new CliCommand("restart", "replace every instance (rolling) and wait until done") { restartId, restartForce }
                .Runs((context, result) => RestartAsync(context, result.GetRequiredValue(restartId), result.GetValue(restartForce), restartWait.Read(result)))),
            new CliCommand("remove", "remove an app and kill its tasks") { removeId }.Runs((context, result) => RemoveAsync(context, result.GetRequiredValue(removeId))),
        };

        static Argument<string> Id() => Symbols.Required("id", "the app's id, e.g. /web or web");
        static Option<bool> Force() => Symbols.Flag("--force", "replace the app's deployment under way (otherwise refused while one runs)");
    }

    public static string NotFound(string id) => $"unknown app '{MasterClient.AppKey(id)}'";

    private static async Task<int> AddAsync(CommandContext context, string path, (bool Wait, TimeSpan Timeout) waiting)
    {
        var (wait, timeout) = waiting;
        var created = await CommandHelpers.PostFileAsync(context, "api/apps", path);
        var app = MasterClient.Read<AppInfo>(created, "app");
        if (!context.Json) context.Output.Line($"created app [bold]{Markup.Escape(app.Id)}[/] ({app.Instances} {Plural(app.Instances, "instance")})");
        if (!wait)
        {
            if (context.Json) context.Output.WriteJson(created);
            return ExitCodes.Ok;
        }
        return await WaitAsync(context, app.Id ?? throw new CliException(ExitCodes.Error, "the master's answer names no app id"), timeout);
    }

    private static async Task<int> ListAsync(CommandContext context)
    {
        var json = await context.Master.GetAsync("api/apps", null, context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var apps = MasterClient.Read<List<AppInfo>>(json, "app list");
        if (apps.Count == 0)
        {
            context.Output.Line("no apps; add one with 'dcos app add <file.json>'");
            return ExitCodes.Ok;
        }
        var table = Output.Table("ID", "RUNNING", "HEALTHY", "STAGED", "CPUS", "MEM", "VERSION", "STATUS", "CMD");
        foreach (var app in apps.OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            table.AddRow(
                new Text(app.Id),
                new Text($"{app.TasksRunning}/{app.Instances}"),
                new Text(Output.Number(app.TasksHealthy)),
                new Text(Output.Number(app.TasksStaged)),
                new Text(Output.Number(app.Cpus)),
                new Text(Output.Number(app.Mem)),
                new Text(Version(app.Version)),
                Status(app),
                new Text(Output.Truncate(Command(app), 50)));
        }
        context.Output.Write(table);
        // An app short of instances, or with some unreachable, says why under the table.
        foreach (var app in apps.Where(a => a.Message is not null).OrderBy(a => a.Id, StringComparer.Ordinal))
            context.Output.Line($"[yellow]{Markup.Escape(app.Id)}[/]: {Markup.Escape(app.Message!)}");
        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CommandContext context, string id)
    {
        var json = await context.Master.GetAsync(MasterClient.AppPath(id), NotFound(id), context.Cancellation);
        if (context.Json)
        {
            context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        var app = MasterClient.Read<AppInfo>(json, "app");
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Field(string name, IRenderable value) => grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), value);
        void Plain(string name, string? value) => Field(name, new Text(string.IsNullOrEmpty(value) ? "-" : value));
        Plain("id", app.Id);
        Plain("cmd", Command(app));
        Field("status", Status(app));
        Plain("instances", $"{app.TasksRunning}/{app.Instances} running, {app.TasksHealthy} healthy, {app.TasksStaged} staged");
        Plain("resources", $"cpus {Output.Number(app.Cpus)}, mem {Output.Number(app.Mem)} MiB, disk {Output.Number(app.Disk)} MiB, gpus {Output.Number(app.Gpus)}");
        Plain("version", Version(app.Version));
        Plain("ports", app.Ports is { Count: > 0 } p ? string.Join(", ", p) : null);
        Plain("constraints", app.Constraints is { Count: > 0 } c ? string.Join(", ", c.Select(parts => string.Join(':', parts))) : null);
        Plain("health checks", app.HealthChecks is { Count: > 0 } h ? string.Join(", ", h.Select(HealthCheck)) : null);
        Plain("cost objective", app.CostObjective);
        if (app.Env is { Count: > 0 } env) Plain("env", string.Join(", ", env.Select(kv => $"{kv.Key}={kv.Value}")));
        context.Output.Out.Write(grid);
        context.Output.Out.WriteLine();
        var tasks = app.Tasks ?? [];
        if (tasks.Count == 0)
        {
            context.Output.Line("no tasks");
            return ExitCodes.Ok;
        }
        var now = context.Time.GetUtcNow();
        var table = Output.Table("TASK", "STATE", "HOST", "HEALTH", "VERSION", "PORTS", "STARTED");
        foreach (var task in tasks)
        {
            table.AddRow(
                new Text(task.Id),
                TaskCommands.State(task.State),
                new Text(task.Host ?? task.Hostname ?? task.AgentId ?? "-"),
                TaskCommands.Health(task.Healthy),
                new Text(Version(task.Version)),
                new Text(task.Ports is { Count: > 0 } ports ? string.Join(", ", ports) : "-"),
                new Text(Output.Age(task.StartedAt, now)));
        }
        context.Output.Write(table);
        return ExitCodes.Ok;
    }

    private static string Forced(bool force) => force ? "?force=true" : "";

    private static async Task<int> ScaleAsync(CommandContext context, string id, int instances, bool force, (bool Wait, TimeSpan Timeout) waiting)
    {
        var (wait, timeout) = waiting;
        var body = JsonSerializer.Serialize(new { instances });
        var json = await context.Master.PostJsonAsync(MasterClient.AppPath(id) + "/scale" + Forced(force), body, NotFound(id), context.Cancellation);
        if (!context.Json) context.Output.Line($"scaling [bold]{Markup.Escape(MasterClient.AppKey(id))}[/] to {instances} {Plural(instances, "instance")}");
        if (!wait)
        {
            if (context.Json) context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        return await WaitAsync(context, id, timeout);
    }

    private static async Task<int> RestartAsync(CommandContext context, string id, bool force, (bool Wait, TimeSpan Timeout) waiting)
    {
        var (wait, timeout) = waiting;
        var json = await context.Master.PostJsonAsync(MasterClient.AppPath(id) + "/restart" + Forced(force), null, NotFound(id), context.Cancellation);
        if (!context.Json) context.Output.Line($"restarting [bold]{Markup.Escape(MasterClient.AppKey(id))}[/]");
        if (!wait)
        {
            if (context.Json) context.Output.WriteJson(json);
            return ExitCodes.Ok;
        }
        return await WaitAsync(context, id, timeout);
    }

    private static async Task<int> RemoveAsync(CommandContext context, string id)
    {
        var json = await context.Master.DeleteAsync(MasterClient.AppPath(id), NotFound(id), context.Cancellation);
        if (context.Json) context.Output.WriteJson(json);
        else context.Output.Line($"removed app [bold]{Markup.Escape(MasterClient.AppKey(id))}[/]; its tasks are being killed");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Polls <c>GET /api/apps/{id}</c> until tasksRunning equals instances and no deployment is in progress, showing
    /// "web: 3/5 running" as it goes; a timeout is exit code 4.
    /// </summary>
    internal static async Task<int> WaitAsync(CommandContext context, string id, TimeSpan timeout)
    {
        var key = MasterClient.AppKey(id);
        var start = context.Time.GetTimestamp();
        JsonElement last = default;
        AppInfo? app = null;

        async Task<bool> PollAsync()
        {
            last = await context.Master.GetAsync(MasterClient.AppPath(id), NotFound(id), context.Cancellation);
            app = MasterClient.Read<AppInfo>(last, "app");
            return Converged(app);
        }

        async Task<bool> LoopAsync(Action<string> progress)
        {
            while (true)
            {
                if (await PollAsync()) return true;
                var remaining = timeout - context.Time.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero) return false;
                progress(Progress(key, app!));
                await Task.Delay(remaining < context.PollInterval ? remaining : context.PollInterval, context.Time, context.Cancellation);
            }
        }

        bool converged;
        if (context.Json)
        {
            converged = await LoopAsync(_ => { });
        }
        else if (context.Output.Interactive)
        {
            converged = await context.Output.Out.Status()
                .Spinner(Spinner.Known.Dots)
                .StartAsync($"{Markup.Escape(key)}: waiting for the master", status =>
                    LoopAsync(text => status.Status(Markup.Escape(text) + $" [grey]({CommandHelpers.Seconds(context.Time.GetElapsedTime(start))})[/]")));
        }
        else
        {
            string? shown = null;
            converged = await LoopAsync(text =>
            {
                if (text == shown) return;
                shown = text;
                context.Output.Line(Markup.Escape(text));
            });
        }

        var elapsed = CommandHelpers.Seconds(context.Time.GetElapsedTime(start));
        if (!converged)
        {
            throw new CliException(ExitCodes.Timeout,
                $"timed out after {CommandHelpers.Seconds(timeout)} waiting for app '{key}': {Progress(key, app!)[(key.Length + 2)..]}; run 'dcos debug {key}' to see why");
        }
        if (context.Json) context.Output.WriteJson(last);
        else context.Output.Line($"[green]{Markup.Escape(key)}: {app!.TasksRunning}/{app.Instances} running[/] (deployed in {elapsed})");
        return ExitCodes.Ok;
    }

    internal static bool Converged(AppInfo app) => app.TasksRunning == app.Instances && !app.Deploying;

    internal static string Progress(string key, AppInfo app)
    {
        var text = $"{key}: {app.TasksRunning}/{app.Instances} running";
        if (app.TasksStaged > 0) text += $", {app.TasksStaged} staging";
        if (app.TasksRunning == app.Instances && app.Deploying) text += ", replacing old instances";
        return text;
    }

    private static IRenderable Status(AppInfo app) =>
        app.Deploying ? Output.Colored("Deploying", "yellow")
        : app.Instances == 0 ? Output.Colored("Suspended", "grey")
        : app.TasksRunning >= app.Instances ? Output.Colored("Running", "green")
        : Output.Colored("Waiting", "yellow");

    private static string Command(AppInfo app) => app.Cmd ?? (app.Args is { Count: > 0 } a ? string.Join(' ', a) : "-");

    private static string Version(JsonElement? version) =>
        version is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } v ? (v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()) : "-";

    private static string HealthCheck(JsonElement check)
    {
        string? Get(string name) => check.ValueKind == JsonValueKind.Object && check.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())
            : null;
        var protocol = Get("protocol") ?? "HTTP";
        return protocol.ToUpperInvariant() switch
        {
            "HTTP" or "MESOS_HTTP" => $"HTTP {Get("path") ?? "/"} on port index {Get("portIndex") ?? "0"}",
            "COMMAND" => "COMMAND",
            _ => $"{protocol} on port index {Get("portIndex") ?? "0"}",
        };
    }

    private static string Plural(int n, string word) => n == 1 ? word : word + "s";
}
