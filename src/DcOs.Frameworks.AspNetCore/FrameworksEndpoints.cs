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
        // "/apps/team/web", "/apps/team/web/versions" and "/apps/team/web/versions/3": an app first, then its versions.
        api.MapGet("/apps/{*path}", (string path, ServicesFramework services) =>
        {
            if (services.Get(path) is { } view) return Results.Ok(AppJson(view));
            var at = path.LastIndexOf("/versions", StringComparison.Ordinal);
            if (at > 0 && path[at..] == "/versions")
                return Results.Ok(new { versions = services.Versions(path[..at]).Select(v => new { version = v.Version, createdAt = v.CreatedAt }) });
            var slash = path.LastIndexOf('/');
            if (slash > 0 && path[..slash].EndsWith("/versions", StringComparison.Ordinal))
            {
                var app = path[..(slash - "/versions".Length)];
                var wanted = path[(slash + 1)..];
                if (!int.TryParse(wanted, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
                    throw new ValidationException("version", $"must be a version number (got \"{wanted}\")");
                var version = services.Versions(app).FirstOrDefault(v => v.Version == number) ?? throw new KeyNotFoundException($"app '{app}' has no version {number} (kept: the last {ServicesFramework.VersionsKept})");
                return Results.Ok(new { version = version.Version, createdAt = version.CreatedAt, definition = version.Definition });
            }
            throw new KeyNotFoundException($"unknown app '{path}'");
        });
        api.MapPost("/apps", async (HttpRequest request, ServicesFramework services) =>
        {
            var view = services.Add(await DefinitionReader.ReadAsync<AppDefinition>(request, FrameworkJson.Options));
            return Results.Created($"{prefix.TrimEnd('/')}/apps/{view.Definition.Key}", AppJson(view));
        });
        api.MapPut("/apps/{*id}", async (string id, HttpRequest request, ServicesFramework services) =>
            AppJson(services.Update(id, await DefinitionReader.ReadAsync<AppDefinition>(request, FrameworkJson.Options), Force(request))));
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
                        return Results.Ok(AppJson(services.Scale(id, instances, Force(request))));
                    }
                case "restart":
                    return Results.Ok(AppJson(services.Restart(id, Force(request))));
                default:
                    throw new KeyNotFoundException($"no such action '{action}' on apps (use scale or restart)");
            }
        });
        api.MapDelete("/apps/{*id}", (string id, ServicesFramework services) =>
        {
            services.Remove(id);
            return new { id = "/" + id.Trim('/') };
        });
        api.MapGet("/deployments", (ServicesFramework services) => services.Deployments().Select(DeploymentJson));
        // Marathon's cancel: a rollback (its deployment is answered), or with force=true only the deployment is dropped.
        api.MapDelete("/deployments/{id}", (string id, HttpRequest request, ServicesFramework services) =>
        {
            var rollback = services.CancelDeployment(id, Force(request));
            return rollback is null ? Results.Ok(new { deploymentId = (string?)null }) : Results.Ok(new { deploymentId = rollback.Id, version = rollback.ToVersion });
        });
        return api;
    }

    /// <summary>Marathon's <c>?force=true</c>: a change that replaces the app's deployment under way.</summary>
    private static bool Force(HttpRequest request) => request.Query["force"] is { Count: > 0 } f && f[0] is { } v
        ? v is "true" or "1" ? true : v is "false" or "0" or "" ? false : throw new ValidationException("force", $"must be true or false (got \"{v}\")")
        : false;

    /// <summary>A deployment in Marathon's shape (steps, current actions), with its progress in instances.</summary>
    public static object DeploymentJson(DeploymentView d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var action = new { action = d.Action, app = d.AppId };
        return new
        {
            id = d.Id,
            version = d.ToVersion,
            fromVersion = d.FromVersion,
            rollback = d.Rollback,
            createdAt = d.CreatedAt,
            affectedApps = new[] { d.AppId },
            steps = new[] { new { actions = new[] { action } } },
            currentActions = new[] { action },
            currentStep = 1,
            totalSteps = 1,
            progress = new { instancesWanted = d.InstancesWanted, instancesReady = d.InstancesReady, oldInstances = d.OldInstances },
        };
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
            deployments = view.Deployment is { } dep ? new[] { new { id = dep.Id } } : [],
            deployment = view.Deployment is { } current ? DeploymentJson(current) : null,
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
