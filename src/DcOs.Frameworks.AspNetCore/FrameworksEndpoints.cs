using System.Text.Json;
using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Frameworks;
using DcOs.Frameworks.AspNetCore.Internal;
using DcOs.Frameworks.Jobs;
using DcOs.Frameworks.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The HTTP API of the services and jobs frameworks (docs/http-api.md): Marathon- and Metronome-shaped JSON. Each
/// definition passes one door (syntax, shape, unknown fields, then the definition's own rules) and an error is
/// <c>{"error": "&lt;field&gt;: &lt;why&gt;"}</c>: 400 invalid, 404 unknown id, 409 id taken, 413 over 1 MiB, 503 the
/// framework's store refused the write (nothing applied). Mutating routes are the host's to protect (authentication).
/// </summary>
public static class FrameworksEndpoints
{
    /// <summary>
    /// Maps <c>/apps</c> under <paramref name="prefix"/>: list, get, create, replace (a rolling upgrade), scale,
    /// restart and delete, on the <see cref="ServicesFramework"/> registered in the container.
    /// </summary>
    public static RouteGroupBuilder MapServicesApi(this IEndpointRouteBuilder endpoints, string prefix = "/api")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.MapGroup(prefix).AddEndpointFilter(AnswerErrors);
        api.MapGet("/apps", (ServicesFramework services) => services.List().Select(AppJson));
        api.MapGet("/apps/{*id}", (string id, ServicesFramework services) =>
            services.Get(id) is { } view ? Results.Ok(AppJson(view)) : throw new KeyNotFoundException($"unknown app '{id}'"));
        api.MapPost("/apps", async (HttpRequest request, ServicesFramework services) =>
        {
            var view = services.Add(await DefinitionReader.ReadAsync<AppDefinition>(request, FrameworkJson.Options));
            return Results.Created($"{prefix.TrimEnd('/')}/apps/{view.Definition.Key}", AppJson(view));
        });
        api.MapPut("/apps/{*id}", async (string id, HttpRequest request, ServicesFramework services) =>
            AppJson(services.Update(id, await DefinitionReader.ReadAsync<AppDefinition>(request, FrameworkJson.Options))));
        // Nested app ids ("/team/web") make these routes "/apps/team/web/scale": one catch-all, dispatched on the last segment.
        api.MapPost("/apps/{*path}", async (string path, HttpRequest request, ServicesFramework services) =>
        {
            var slash = path.LastIndexOf('/');
            var (id, action) = slash < 0 ? (path, "") : (path[..slash], path[(slash + 1)..]);
            switch (action)
            {
                case "scale":
                    using (var doc = await JsonDocument.ParseAsync(request.Body))
                    {
                        if (!doc.RootElement.TryGetProperty("instances", out var n) || n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out var instances))
                            throw new ValidationException("instances", "must be a whole number");
                        return Results.Ok(AppJson(services.Scale(id, instances)));
                    }
                case "restart":
                    return Results.Ok(AppJson(services.Restart(id)));
                default:
                    throw new KeyNotFoundException($"no such action '{action}' on apps (use scale or restart)");
            }
        });
        api.MapDelete("/apps/{*id}", (string id, ServicesFramework services) =>
        {
            services.Remove(id);
            return new { id = "/" + id.Trim('/') };
        });
        return api;
    }

    /// <summary>
    /// Maps <c>/jobs</c> under <paramref name="prefix"/>: list, create, run now, history and delete, on the
    /// <see cref="JobsFramework"/> registered in the container.
    /// </summary>
    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder endpoints, string prefix = "/api")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.MapGroup(prefix).AddEndpointFilter(AnswerErrors);
        api.MapGet("/jobs", (JobsFramework jobs) => jobs.List().Select(x => JobJson(x.Job, x.LastRun, x.SuccessCount, x.FailureCount)));
        api.MapPost("/jobs", async (HttpRequest request, JobsFramework jobs) =>
        {
            var job = jobs.Add(await DefinitionReader.ReadAsync<JobDefinition>(request, FrameworkJson.Options));
            return Results.Created($"{prefix.TrimEnd('/')}/jobs/{job.Key}", JobJson(job, null));
        });
        api.MapPost("/jobs/{id}/run", (string id, JobsFramework jobs) => Results.Accepted(value: new { runId = jobs.RunNow(id) }));
        api.MapGet("/jobs/{id}/history", (string id, JobsFramework jobs) => jobs.History(id));
        api.MapDelete("/jobs/{id}", (string id, JobsFramework jobs) =>
        {
            jobs.Remove(id);
            return new { id };
        });
        return api;
    }

    /// <summary>The JSON of an app as the API answers it: its definition, its counts and its tasks.</summary>
    public static object AppJson(AppView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var d = view.Definition;
        return new
        {
            id = d.Id,
            cmd = d.Cmd,
            args = d.Args,
            cpus = d.Cpus,
            mem = d.Mem,
            disk = d.Disk,
            gpus = d.Gpus,
            instances = d.Instances,
            ports = d.Ports,
            env = d.Env,
            constraints = d.Constraints,
            healthChecks = d.HealthChecks,
            costObjective = d.CostObjective.Name(),
            upgradeStrategy = d.UpgradeStrategy,
            unreachableStrategy = d.UnreachableStrategy,
            killSelection = d.KillSelection,
            tasksRunning = view.TasksRunning,
            tasksUnreachable = view.TasksUnreachable,
            tasksHealthy = view.TasksHealthy,
            tasksStaged = view.TasksStaged,
            version = view.Version,
            deploying = view.Deploying,
            message = view.Message,
            tasks = view.Tasks,
        };
    }

    private static object JobJson(JobDefinition job, JobRun? last, long successCount = 0, long failureCount = 0) => new
    {
        id = job.Id,
        run = job.Run,
        schedule = job.Schedule,
        concurrencyPolicy = job.ConcurrencyPolicy,
        startingDeadlineSeconds = job.StartingDeadlineSeconds,
        lastRun = last,
        successCount,
        failureCount,
    };

    /// <summary>
    /// The frameworks' errors as answers rather than a host's 500: the caller's mistakes by status, a store that
    /// refused a write as 503 with Retry-After (nothing was applied).
    /// </summary>
    private static async ValueTask<object?> AnswerErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (Status(e) is { } status)
        {
            if (status == StatusCodes.Status503ServiceUnavailable) context.HttpContext.Response.Headers.RetryAfter = "5";
            return Results.Json(new { error = e.Message }, statusCode: status);
        }
    }

    private static int? Status(Exception e) => e switch
    {
        ValidationException => StatusCodes.Status400BadRequest,
        BadHttpRequestException b => b.StatusCode,
        JsonException => StatusCodes.Status400BadRequest,
        KeyNotFoundException => StatusCodes.Status404NotFound,
        ConflictException => StatusCodes.Status409Conflict,
        FrameworkStoreException => StatusCodes.Status503ServiceUnavailable,
        _ => null,
    };
}
