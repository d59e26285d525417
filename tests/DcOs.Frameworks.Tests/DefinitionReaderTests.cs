using System.Text;
using DcOs.Core;
using DcOs.Frameworks;
using DcOs.Frameworks.AspNetCore.Internal;
using DcOs.Frameworks.Jobs;
using DcOs.Frameworks.Services;
using Microsoft.AspNetCore.Http;

namespace DcOs.Frameworks.Tests;

/// <summary>
/// The door for app and job definitions (DcOs.Frameworks.AspNetCore): what <c>POST /api/apps</c> and <c>/api/jobs</c> read, and the
/// error that names the field. The CLI prints these answers as they are (its own copy of the rules is gone).
/// </summary>
public sealed class DefinitionReaderTests
{
    private static AppDefinition App(string json) => DefinitionReader.Read<AppDefinition>(Encoding.UTF8.GetBytes(json), FrameworkJson.Options).Validate();

    private static JobDefinition Job(string json) => DefinitionReader.Read<JobDefinition>(Encoding.UTF8.GetBytes(json), FrameworkJson.Options).Validate();

    private static string Error(Func<object> read)
    {
        var e = Assert.ThrowsAny<Exception>(read);
        Assert.True(e is ValidationException or BadHttpRequestException, $"{e.GetType().Name}: {e.Message}");
        return e.Message;
    }

    [Theory]
    [InlineData("""{"id": "/web", "cmd": "x", "cpus": -1}""", "cpus: must not be negative (got -1)")]
    [InlineData("""{"id": "/web", "cmd": "x", "mem": -32.5}""", "mem: must not be negative (got -32.5)")]
    [InlineData("""{"id": "/web", "cmd": "x", "mem": "lots"}""", "mem: must be a number (got \"lots\")")]
    [InlineData("""{"id": "/web", "cmd": "x", "cpus": true}""", "cpus: must be a number (got true)")]
    [InlineData("""{"id": "/web", "cmd": "x", "cpus": 1e999}""", "cpus: must be a finite number (got 1e999)")]
    [InlineData("""{"cmd": "sleep 10"}""", "id: is required (e.g. \"/web\")")]
    [InlineData("""{"id": "/", "cmd": "sleep 10"}""", "id: is required (e.g. \"/web\")")]
    [InlineData("""{"id": "/web_1", "cmd": "sleep 10"}""", "id: \"/web_1\": each part between '/' is lowercase letters, digits and '-'")]
    [InlineData("""{"id": "/SLEEP", "cmd": "sleep 10"}""", "id: \"/SLEEP\": each part between '/' is lowercase")]
    [InlineData("""{"id": "/web-", "cmd": "sleep 10"}""", "id: \"/web-\": each part")]
    [InlineData("""{"id": "/web", "cmd": "x", "cpus": 1e300}""", "cpus: must be at most 4096 (got 1E+300)")]
    [InlineData("""{"id": "/web", "cmd": "x", "cpus": 0.0001}""", "cpus: is below the smallest amount, 0.001 (got 0.0001)")]
    [InlineData("""{"id": "/web", "cmd": "x", "mem": 1e300}""", "mem: must be at most 67108864 (got 1E+300)")]
    [InlineData("""{"id": "/web", "cmd": "x", "gpus": 1.5}""", "gpus: more than one GPU must be a whole number of devices; up to 1 is a share of one device (got 1.5)")]
    [InlineData("""{"id": "/web", "cmd": "x", "gpuModel": "A100"}""", "gpuModel: is set but gpus is 0")]
    [InlineData("""{"id": "/web", "cmd": "x", "gpus": 0.5, "gpuModel": " "}""", "gpuModel: must be a model name of 1 to 256 characters")]
    [InlineData("""{"id": "/web", "cmd": "x", "instances": 1000001}""", "instances: must be at most 100000 (got 1000001)")]
    [InlineData("""{"id": "/web", "cmd": "x", "killGracePeriodSeconds": 1e300}""", "killGracePeriodSeconds: must be at most 86400 s (got 1E+300)")]
    [InlineData("""{"id": "/web", "cmd": "x", "backoffSeconds": 1e300}""", "backoffSeconds: must be at most 3600 s (got 1E+300)")]
    [InlineData("""{"id": "/web", "cmd": "x", "backoffFactor": 1e300}""", "backoffFactor: must be between 1 and 100 (got 1E+300)")]
    [InlineData("""{"id": "/web", "cmd": "x", "ports": [0], "healthChecks": [{"intervalSeconds": 9e11}]}""", "healthChecks[0].intervalSeconds: must be at most 86400 s (got 900000000000)")]
    [InlineData("""{"id": "/web", "cmd": "x", "ports": [0], "healthChecks": [{"maxConsecutiveFailures": -1}]}""", "healthChecks[0].maxConsecutiveFailures: must be between 0 and 1000 (got -1)")]
    [InlineData("""{"id": "/web", "cmd": "x", "env": {"1X": "a"}}""", "env.1X: \"1X\" is not a variable name")]
    [InlineData("""{"id": "/web", "args": ["/bin/echo", "a\u0000b"]}""", "args[1]: must be text without NUL characters")]
    [InlineData("""{"id": "/web"}""", "cmd: is required (or args)")]
    [InlineData("""{"id": "/web", "cmd": "x", "instances": -1}""", "instances: must not be negative (got -1)")]
    [InlineData("""{"id": "/web", "cmd": "x", "instances": 1.5}""", "instances: must be a whole number (got 1.5)")]
    [InlineData("""{"id": "/web", "cmd": "x", "instances": 3000000000}""", "instances: must be a whole number (got 3000000000)")]
    [InlineData("""{"id": "/web", "cmd": "x", "costObjective": "free"}""", "costObjective: must be cheapest, fastest or pack (got \"free\")")]
    [InlineData("""{"id": "/web", "cmd": "x", "constraints": [["hostname", "UNIQUELY"]]}""", "constraints[0].operator")]
    [InlineData("""{"id": "/web", "cmd": "x", "constraints": [["hostname"]]}""", "constraints[0]")]
    [InlineData("""{"id": "/web", "cmd": "x", "constraints": [["rack", "MAX_PER"]]}""", "constraints[0].value")]
    [InlineData("""{"id": "/web", "cmd": "x", "constraints": ["hostname:UNIQUE"]}""", "constraints[0]: must be an array (got a string)")]
    [InlineData("""{"id": "/web", "cmd": "x", "ports": [70000]}""", "ports[0]: must be 0 (any) or a port number, not 70000")]
    [InlineData("""{"id": "/web", "cmd": "x", "ports": "80"}""", "ports: must be an array (got a string)")]
    [InlineData("""{"id": "/web", "cmd": "x", "healthChecks": [{"protocol": "HTTP"}]}""", "healthChecks[0].portIndex: is 0 but the app has 0 ports")]
    [InlineData("""{"id": "/web", "cmd": "x", "ports": [0], "healthChecks": [{}, {}]}""", "healthChecks: a DcOs app has at most one health check (got 2)")]
    [InlineData("""{"id": "/web", "cmd": "x", "healthChecks": [{"protocl": "TCP"}]}""", "healthChecks[0].protocl: is not a field; did you mean \"protocol\"?")]
    [InlineData("""{"id": "/web", "cmd": "x", "env": {"N": 1}}""", "env.N: must be a string (got a number); quote it")]
    [InlineData("""{"id": "/web", "cmd": "x", "instnces": 3}""", "instnces: is not a field; did you mean \"instances\"?")]
    [InlineData("""{"id": "/web", "cmd": "x", "colour": "red"}""", "colour: is not a field; the fields are id, cmd, args,")]
    [InlineData("""{"id": "/web", "cmd": "x", "container": {}}""", "container: is a Marathon field DcOs does not support; remove it")]
    [InlineData("""{"id": "/web", "cmd": "x", "user": "-rf"}""", "user: \"-rf\" is not a user name")]
    [InlineData("""{"id": "/web", "cmd": "x", "labels": {}}""", "labels: is a Marathon field DcOs does not support; remove it")]
    [InlineData("""[1, 2]""", "the body must be a JSON object (got an array)")]
    [InlineData("""  """, "the body is empty; send a JSON object")]
    [InlineData("{\n  \"id\": \"/web\",\n  \"cmd\": \"sleep 10\"\n  \"cpus\": 1\n}", "invalid JSON at line 4, position 3: ")]
    public void A_bad_app_is_refused_naming_the_field(string json, string expected)
    {
        Assert.StartsWith(expected, Error(() => App(json)), StringComparison.Ordinal);
    }

    [Fact]
    public void Numbers_in_strings_and_lowercase_operators_are_read_as_marathon_does()
    {
        var app = App("""{"id": "/web", "cmd": "x", "cpus": "0.5", "instances": "2", "constraints": [["hostname", "unique"], ["rack", "GROUP_BY", "2"], ["rack", "LIKE", "r[12]"]]}""");

        Assert.Equal(0.5, app.Cpus);
        Assert.Equal(2, app.Instances);
        Assert.Equal("nobody", App("""{"id": "/web", "cmd": "x", "user": "nobody"}""").User);
        Assert.Equal(3, app.Constraints!.Count);
    }

    [Fact]
    public void Field_names_are_case_insensitive_and_null_means_not_given()
    {
        var app = App("""{"ID": "/web", "Cmd": "x", "Mem": 64, "ports": null, "env": null}""");

        Assert.Equal("/web", app.Id);
        Assert.Equal(64, app.Mem);
        Assert.Null(app.Ports);
    }

    [Theory]
    [InlineData("""{"run": {"cmd": "x"}}""", "id: is required")]
    [InlineData("""{"id": "hello"}""", "run: is required")]
    [InlineData("""{"id": "hello", "run": "echo hi"}""", "run: must be an object (got a string)")]
    [InlineData("""{"id": "hello", "run": {"cpus": 1}}""", "run.cmd: is required")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "cpus": -0.5}}""", "run.cpus: must not be negative (got -0.5)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "cpus": 1e300}}""", "run.cpus: must be at most 4096 (got 1E+300)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "deadlineSeconds": 0}}""", "run.deadlineSeconds: must be more than 0 s (got 0)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "deadlineSeconds": 1e300}}""", "run.deadlineSeconds: must be at most 2592000 s (got 1E+300)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "maxRetries": 1000}}""", "run.maxRetries: must be at most 100 (got 1000)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "env": {"A-B": "1"}}}""", "run.env.A-B: \"A-B\" is not a variable name")]
    [InlineData("""{"id": "/a/b", "run": {"cmd": "x"}}""", "id: \"/a/b\": lowercase letters, digits and '-'")]
    [InlineData("""{"id": "Nightly", "run": {"cmd": "x"}}""", "id: \"Nightly\": lowercase letters")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "maxRetries": -1}}""", "run.maxRetries: must not be negative (got -1)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "maxRetrys": 3}}""", "run.maxRetrys: is not a field; did you mean \"maxRetries\"?")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x"}, "schedule": "every day"}""", "schedule: \"every day\" is not a five-field cron expression (minute hour day month weekday)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x"}, "schedule": "61 * * * *"}""", "schedule: \"61 * * * *\" is not a valid cron expression: ")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x"}, "schedule": 5}""", "schedule: must be a string (got a number); quote it")]
    public void A_bad_job_is_refused_naming_the_field(string json, string expected)
    {
        Assert.StartsWith(expected, Error(() => Job(json)), StringComparison.Ordinal);
    }

    [Fact]
    public void Ids_whose_task_ids_would_not_fit_and_commands_the_kernel_cannot_exec_are_refused()
    {
        static string AppJson(string id, string cmd, string extra = "") => "{\"id\": \"" + id + "\", \"cmd\": \"" + cmd + "\"" + extra + "}";
        static string JobJson(string id, string cmd, string run = "") => "{\"id\": \"" + id + "\", \"run\": {\"cmd\": \"" + cmd + "\"" + run + "}}";

        Assert.StartsWith("id: must be at most 175 characters without its slashes (got 190)", Error(() => App(AppJson("/" + new string('a', 190), "x"))), StringComparison.Ordinal);
        App(AppJson("/" + new string('a', 175), "x"));
        Assert.StartsWith("id: must be at most 169 characters (got 195)", Error(() => Job(JobJson(new string('j', 195), "x"))), StringComparison.Ordinal);
        Job(JobJson(new string('j', 169), "x", ", \"maxRetries\": 100"));
        Assert.StartsWith("cmd: is 200,000 bytes; the kernel passes at most 131,071", Error(() => App(AppJson("/web", new string('x', 200_000)))), StringComparison.Ordinal);
        Assert.StartsWith("run.cmd: is 200,000 bytes", Error(() => Job(JobJson("big", new string('x', 200_000)))), StringComparison.Ordinal);
        var env = string.Join(", ", Enumerable.Range(0, 11).Select(i => "\"V" + i + "\": \"" + new string('v', 100_000) + "\""));
        Assert.StartsWith("cmd: arguments and environment take", Error(() => App(AppJson("/web", "x", ", \"env\": {" + env + "}"))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("web-app.json", true)]
    [InlineData("sleep-app.json", true)]
    [InlineData("hello-job.json", false)]
    [InlineData("deadline-job.json", false)]
    public void The_example_files_are_valid(string name, bool isApp)
    {
        var json = File.ReadAllText(Path.Combine(RepositoryRoot(), "samples", "examples", name));

        if (isApp) Assert.True(App(json).Instances > 0);
        else Assert.NotNull(Job(json).Run);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413_before_it_is_parsed()
    {
        var context = new DefaultHttpContext();
        var padding = new string(' ', DefinitionReader.MaxBytes);
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes($$"""{"id": "/web", "cmd": "x"{{padding}}}"""));

        var e = await Assert.ThrowsAsync<BadHttpRequestException>(() => DefinitionReader.ReadAsync<AppDefinition>(context.Request, FrameworkJson.Options));

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, e.StatusCode);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DcOs.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("DcOs.sln not found above " + AppContext.BaseDirectory);
    }
}
