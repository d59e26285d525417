using DcOs.Agent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// A DcOs agent as a process: settings from appsettings.json, then DCOS_AGENT__* environment variables
// (DCOS_AGENT__MASTER, DCOS_AGENT__WORKDIR...), then the command line, e.g.
//   dotnet DcOs.AgentHost.dll --master 127.0.0.1:5050 --work-dir ./agent1 --cpus 2 --mem 2048 --ports 31000-31999 --attributes rack:r1
// Any AgentOptions property can also be given as --Agent:<Property> <value>.
var switches = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["--master"] = "Agent:Master",
    ["--work-dir"] = "Agent:WorkDir",
    ["--hostname"] = "Agent:Hostname",
    ["--principal"] = "Agent:Principal",
    // No --secret: a value on the command line is visible to every user in the process list. Tokens come from a file
    // (--token-file) or the environment (DCOS_AGENT__TOKEN).
    ["--token-file"] = "Agent:TokenFile",
    ["--tls-trust"] = "Agent:TlsTrustFile",
    ["--tls-cert"] = "Agent:TlsCertFile",
    ["--tls-key"] = "Agent:TlsKeyFile",
    ["--cpus"] = "Agent:Cpus",
    ["--mem"] = "Agent:MemMb",
    ["--disk"] = "Agent:DiskMb",
    ["--gpus"] = "Agent:Gpus",
    ["--gpu-devices"] = "Agent:GpuDevices",
    ["--ports"] = "Agent:Ports",
    ["--attributes"] = "Agent:Attributes",
    ["--zone"] = "Agent:Zone",
    ["--region"] = "Agent:Region",
    ["--isolation"] = "Agent:Isolation",
    ["--cgroups-root"] = "Agent:CgroupsRoot",
    ["--sandbox-gc-delay"] = "Agent:SandboxGcDelay",
    ["--kill-tasks-on-shutdown"] = "Agent:KillTasksOnShutdown",
    ["--parent-pid"] = "ParentPid",
};

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddEnvironmentVariables("DCOS_");
builder.Configuration.AddCommandLine(args, switches);
builder.Services.AddDcOsAgent(options => builder.Configuration.GetSection("Agent").Bind(options));
// Started by a master on this machine: stop with it.
if (builder.Configuration.GetValue<int?>("ParentPid") is { } parent)
    builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<DcOs.AgentHost.ParentWatch>(sp, parent));

using var host = builder.Build();
try
{
    await host.RunAsync();
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    await Console.Error.WriteLineAsync("dcos-agent: invalid settings: " + string.Join("; ", e.Failures));
    return 2;
}
catch (InvalidOperationException e)
{
    await Console.Error.WriteLineAsync("dcos-agent: " + e.Message);
    return 1;
}
