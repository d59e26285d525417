using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using DcOs.Core;
using DcOs.SampleMaster;
using DcOs.SampleMaster.Api;
using DcOs.SampleMaster.Jobs;
using DcOs.SampleMaster.LocalAgents;
using DcOs.SampleMaster.Services;
using DcOs.Framework;
using DcOs.Scheduling.Master;
using OpenTelemetry.Metrics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// Configuration the .NET way: appsettings.json, then DCOS_* environment variables, then command-line flags.
var switches = new Dictionary<string, string>
{
    ["--data-dir"] = "DcOs:DataDir",
    ["--local-agents"] = "DcOs:LocalAgents",
    ["--http-port"] = "DcOs:HttpPort",
    ["--master-port"] = "DcOs:MasterPort",
    ["--agent-host"] = "DcOs:AgentHost",
};
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddEnvironmentVariables("DCOS_").AddCommandLine(args, switches);
builder.Services.Configure<SampleMasterOptions>(builder.Configuration.GetSection("DcOs"));
foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
             .Where(e => ((string)e.Key).StartsWith("DCOS_", StringComparison.Ordinal)).Select(e => ((string)e.Key, (string?)e.Value)))
{
    // DCOS_HTTPPORT=5081 and the like map onto the DcOs section.
    builder.Configuration[$"DcOs:{key["DCOS_".Length..]}"] = value;
}
var options = builder.Configuration.GetSection("DcOs").Get<SampleMasterOptions>() ?? new SampleMasterOptions();
options.Validate();
var dataDir = Path.GetFullPath(options.DataDir);
Directory.CreateDirectory(dataDir);

builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.HttpPort));
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
});
builder.Services.AddDcOsMaster(o => o.EndPoint = new IPEndPoint(IPAddress.Loopback, options.MasterPort))
    .UseSqliteStore(Path.Combine(dataDir, "master.db"));
builder.Services.AddDcOsCostOptimizer();
// GET /metrics: the master's and the transport's System.Diagnostics.Metrics meters in Prometheus' text format.
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter("DcOs.Master", "DcOs.Transport").AddPrometheusExporter());
builder.Services.AddSingleton(_ => new SampleStore(Path.Combine(dataDir, "frameworks.db")));
builder.Services.AddSingleton(sp => new ServicesFramework(sp.GetRequiredService<SampleStore>(), sp.GetRequiredService<TimeProvider>()));
builder.Services.AddSingleton(sp => new JobsFramework(sp.GetRequiredService<SampleStore>(), sp.GetRequiredService<TimeProvider>()));
if (options.HostFrameworks)
{
    // Both frameworks in this process, each on its own connection to the master (registered, and so started, before them).
    builder.Services.AddDcOsFramework<ServicesFramework>((o, sp) =>
    {
        o.Master = sp.GetRequiredService<IMaster>().LocalEndPoint!;
        o.Framework = ServicesFramework.Info(sp.GetRequiredService<ServicesFramework>().SavedId);
    });
    builder.Services.AddDcOsFramework<JobsFramework>((o, sp) =>
    {
        o.Master = sp.GetRequiredService<IMaster>().LocalEndPoint!;
        o.Framework = JobsFramework.Info(sp.GetRequiredService<JobsFramework>().SavedId);
    });
}
builder.Services.AddSingleton<LocalAgentLauncher>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<LocalAgentLauncher>());

var app = builder.Build();
app.UseExceptionHandler(errors => errors.Run(async context =>
{
    var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
    (int status, string message) = error switch
    {
        ValidationException v => (400, v.Message),
        BadHttpRequestException b => (b.StatusCode, b.Message),
        JsonException j => (400, j.Message),
        KeyNotFoundException k => (404, k.Message),
        ConflictException c => (409, c.Message),
        TimeoutException t => (504, t.Message),
        _ => (500, error?.Message ?? "internal error"),
    };
    context.Response.StatusCode = status;
    await context.Response.WriteAsJsonAsync(new { error = message });
}));
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapDcOsApi();
app.MapPrometheusScrapingEndpoint("/metrics");

app.Lifetime.ApplicationStarted.Register(() =>
{
    var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
    var master = app.Services.GetRequiredService<IMaster>();
    Console.WriteLine($"dcos: api {url} master {master.LocalEndPoint} data {dataDir} local-agents {options.LocalAgents}");
});
app.Run();
