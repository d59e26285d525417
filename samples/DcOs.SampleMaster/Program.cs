using System.Net;
using System.Net.Security;
using DcOs.Transport;
using System.Text.Json;
using System.Text.Json.Serialization;
using DcOs.Core;
using DcOs.SampleMaster;
using DcOs.SampleMaster.Api;
using DcOs.SampleMaster.LocalAgents;
using DcOs.SampleMaster.Security;
using DcOs.Frameworks;
using DcOs.Frameworks.Jobs;
using DcOs.Frameworks.Services;
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
    ["--listen"] = "DcOs:Listen",
    ["--billing"] = "DcOs:Engine:Billing",
    ["--http-listen"] = "DcOs:HttpListen",
    ["--advertise"] = "DcOs:Advertise",
    ["--insecure"] = "DcOs:Insecure",
    ["--tls-cert"] = "DcOs:TlsCert",
    ["--tls-key"] = "DcOs:TlsKey",
    ["--tls-trust"] = "DcOs:TlsTrust",
    ["--tls-client-ca"] = "DcOs:TlsClientCa",
};
// A flag without a value ("--insecure") means true; the configuration's command-line reader wants a value.
args = [.. args.Select((a, i) => a == "--insecure" && (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) ? "--insecure=true" : a)];
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
try
{
    options.Validate();
}
catch (ArgumentException e)
{
    // A bad setting is one line naming it, before anything listens.
    await Console.Error.WriteLineAsync("dcos: " + e.Message);
    Environment.Exit(2);
}
var dataDir = Path.GetFullPath(options.DataDir);
Directory.CreateDirectory(dataDir);
// Tasks (as nobody) pass through the data dir to the local agents' sandboxes, but may not list or read it: the
// databases and tokens are the master's alone (docs/security.md).
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
}

// Secure by default: the cluster's credentials are created on first start (see docs/security.md).
var tls = options.TlsCert is { } certFile ? TransportTls.LoadCertificate(certFile, options.TlsKey) : null;
var security = new SampleSecurity(options.Insecure ? null : ClusterBootstrap.LoadOrCreate(dataDir))
{
    Certificate = tls,
    TrustFile = tls is null ? null : Path.GetFullPath(options.TlsTrust ?? options.TlsCert!),
};
builder.Services.AddSingleton(security);
builder.WebHost.ConfigureKestrel(k => k.Listen(options.HttpEndPoint, listen =>
{
    if (tls is not null) listen.UseHttps(tls);
}));
if (tls is not null)
{
    // The transport serves TLS; the frameworks hosted here reach it on loopback and trust exactly this certificate.
    builder.Services.Configure<TransportOptions>(o =>
    {
        o.ServerTls = new SslServerAuthenticationOptions { ServerCertificate = tls };
        o.ClientTls = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == tls.GetCertHashString(),
        };
        if (options.TlsClientCa is { } clientCa)
        {
            // Mutual TLS: clients chained to the operator's client CA, and this master's own certificate, which its
            // hosted frameworks (here) and local agents (--tls-cert) present.
            var trusted = TransportTls.LoadTrusted(clientCa);
            trusted.Add(tls);
            o.ServerTls.RequireClientCertificates(trusted);
            o.ClientTls.ClientCertificates = [tls];
        }
    });
}
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
});
// The engine's settings (ping timeouts, offer timeout, roles...) from the DcOs:Engine section of appsettings.json or
// the command line (--DcOs:Engine:AgentPingTimeout 00:00:05); the endpoint comes from --listen. Not "DcOs:Master":
// DCOS_MASTER is the CLI's variable for the master's URL, and often set in an operator's shell.
builder.Services.Configure<MasterOptions>(builder.Configuration.GetSection("DcOs:Engine"));
// The transport's limits and timeouts likewise (--DcOs:Transport:HeartbeatInterval 00:00:20); TLS comes from its flags.
builder.Services.Configure<TransportOptions>(builder.Configuration.GetSection("DcOs:Transport"));
var masterBuilder = builder.Services.AddDcOsMaster(o => o.EndPoint = options.MasterEndPoint)
    .UseSqliteStore(Path.Combine(dataDir, "master.db"));
if (security.Cluster is { } cluster) masterBuilder.UseClusterSecret(cluster.Secret);
builder.Services.AddDcOsCostOptimizer();
// GET /metrics: the master's and the transport's System.Diagnostics.Metrics meters in Prometheus' text format.
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter("DcOs.Master", "DcOs.Transport").AddPrometheusExporter());
// The services and jobs frameworks (DcOs.Frameworks), their apps, jobs and runs in frameworks.db.
builder.Services.AddDcOsFrameworkStore(_ => FrameworkStores.Sqlite(Path.Combine(dataDir, "frameworks.db")));
if (options.HostFrameworks)
{
    // Both frameworks in this process, each on its own connection to the master (registered, and so started, before them).
    builder.Services.AddDcOsServices((o, sp) =>
    {
        o.Master = SampleSecurity.Reachable(sp.GetRequiredService<IMaster>().LocalEndPoint!);
        o.Credentials = security.Cluster?.Secret.FrameworkCredentials(ClusterBootstrap.ServicesPrincipal);
    });
    builder.Services.AddDcOsJobs((o, sp) =>
    {
        o.Master = SampleSecurity.Reachable(sp.GetRequiredService<IMaster>().LocalEndPoint!);
        o.Credentials = security.Cluster?.Secret.FrameworkCredentials(ClusterBootstrap.JobsPrincipal);
    });
}
else
{
    // The API still answers for the frameworks' stored apps and jobs; they run elsewhere.
    builder.Services.AddSingleton(sp => new ServicesFramework(sp.GetRequiredService<IFrameworkStore>(), sp.GetRequiredService<TimeProvider>()));
    builder.Services.AddSingleton(sp => new JobsFramework(sp.GetRequiredService<IFrameworkStore>(), sp.GetRequiredService<TimeProvider>()));
}
builder.Services.AddSingleton<LocalAgentLauncher>();
builder.Services.AddSingleton<UsageSampler>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<LocalAgentLauncher>());

var app = builder.Build();
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    ExceptionHandler = async context =>
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
            // The store refused a write: nothing was applied (the master's engine stops acting until its store works).
            MasterUnavailableException or FrameworkStoreException => (503, error.Message),
            _ => (500, error?.Message ?? "internal error"),
        };
        context.Response.StatusCode = status;
        if (status == 503) context.Response.Headers.RetryAfter = "5";
        await context.Response.WriteAsJsonAsync(new { error = message });
    },
    // The caller's mistakes and a stopped engine are answered, not logged as crashes with a stack trace each (a dashboard
    // polling a master whose disk is full would fill its log); the engine logs its store failure once.
    SuppressDiagnosticsCallback = context => context.Exception is ValidationException or BadHttpRequestException or JsonException
        or KeyNotFoundException or ConflictException or MasterUnavailableException,
});
app.UseApiSecurity();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapDcOsApi();
app.MapServicesApi();
app.MapJobsApi();
app.MapPrometheusScrapingEndpoint("/metrics");

app.Lifetime.ApplicationStarted.Register(() =>
{
    var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
    var master = app.Services.GetRequiredService<IMaster>();
    Console.WriteLine($"dcos: api {url} master {master.LocalEndPoint} data {dataDir} local-agents {options.LocalAgents}");
    var advertised = options.AdvertisedMaster((IPEndPoint)master.LocalEndPoint!);
    if (security.Cluster is { } c)
    {
        var trust = security.TrustFile is { } t ? $" --tls-trust <a copy of {t}>" : "";
        Console.WriteLine($"dcos: agents join with: dotnet DcOs.AgentHost.dll --master {advertised} --token-file <a copy of {c.JoinTokenFile}>{trust} --work-dir /var/lib/dcos-agent");
        Console.WriteLine($"dcos: the API's admin token is in {c.AdminTokenFile}; the CLI: dcos cluster setup {url} --token-file {c.AdminTokenFile}");
    }
    else
    {
        Console.WriteLine("dcos: INSECURE: no authentication; anyone on this machine can use the master and its API");
    }
});
try
{
    app.Run();
}
catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
{
    // What stops a start (the data dir in use by another master, a port taken) is one line, not a stack trace.
    await Console.Error.WriteLineAsync("dcos: " + e.Message);
    Environment.Exit(1);
}
