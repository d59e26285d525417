namespace DcOs.Cli.Tests;

public sealed class ValidationTests
{
    private static async Task<CliResult> AddApp(string content, FakeMaster master)
    {
        using var file = new CliRunner.TempFile(content);
        var result = await CliRunner.Run(master, "app", "add", file.Path);
        return result with { Stderr = result.Stderr.Replace(file.Path, "web.json", StringComparison.Ordinal) };
    }

    [Theory]
    [InlineData("""{"id": "/web", "cmd": "x", "cpus": -1}""", "web.json: cpus: must not be negative (got -1)")]
    [InlineData("""{"id": "/web", "cmd": "x", "mem": -32.5}""", "web.json: mem: must not be negative (got -32.5)")]
    [InlineData("""{"id": "/web", "cmd": "x", "mem": "lots"}""", "web.json: mem: must be a number (got \"lots\")")]
    [InlineData("""{"id": "/web", "cmd": "x", "cpus": true}""", "web.json: cpus: must be a number (got true)")]
    [InlineData("""{"cmd": "sleep 10"}""", "web.json: id: is required (an app id such as \"/web\")")]
    [InlineData("""{"id": "/", "cmd": "sleep 10"}""", "web.json: id: is required (an app id such as \"/web\")")]
    [InlineData("""{"id": "/web_1", "cmd": "sleep 10"}""", "web.json: id: \"/web_1\" may contain only letters, digits, '.', '-' and '/'")]
    [InlineData("""{"id": "/web"}""", "web.json: cmd: is required (the shell command the app runs)")]
    [InlineData("""{"id": "/web", "cmd": "x", "instances": -1}""", "web.json: instances: must not be negative (got -1)")]
    [InlineData("""{"id": "/web", "cmd": "x", "instances": 1.5}""", "web.json: instances: must be a whole number (got 1.5)")]
    [InlineData("""{"id": "/web", "cmd": "x", "costObjective": "free"}""", "web.json: costObjective: must be cheapest, fastest or pack (got \"free\")")]
    [InlineData("""{"id": "/web", "cmd": "x", "constraints": [["hostname", "UNIQUELY"]]}""", "web.json: constraints[0].operator: unknown operator \"UNIQUELY\"; expected UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS")]
    [InlineData("""{"id": "/web", "cmd": "x", "constraints": [["hostname"]]}""", "web.json: constraints[0]: must be [field, OPERATOR] or [field, OPERATOR, value] (got 1 items)")]
    [InlineData("""{"id": "/web", "cmd": "x", "constraints": [["rack", "MAX_PER"]]}""", "web.json: constraints[0].value: MAX_PER needs the maximum number of tasks per value (a positive whole number)")]
    [InlineData("""{"id": "/web", "cmd": "x", "ports": [70000]}""", "web.json: ports[0]: must be 0 (any) or a port number, not 70000")]
    [InlineData("""{"id": "/web", "cmd": "x", "healthChecks": [{"protocol": "HTTP"}]}""", "web.json: healthChecks[0].portIndex: is 0 but the app has 0 ports (add \"ports\": [0])")]
    [InlineData("""{"id": "/web", "cmd": "x", "env": {"N": 1}}""", "web.json: env.N: must be a string (got a number); quote it")]
    [InlineData("""[1, 2]""", "web.json: (file): must be a JSON object {\"id\": ..., \"cmd\": ...} (got an array)")]
    [InlineData("", "web.json: the file is empty")]
    public async Task InvalidAppFile_NamesTheFieldAndSendsNothing(string content, string expected)
    {
        var master = new FakeMaster();

        var result = await AddApp(content, master);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: " + expected], result.StderrLines);
        Assert.Empty(master.Requests);
    }

    [Fact]
    public async Task BrokenJson_ReportsLineAndPosition()
    {
        var master = new FakeMaster();

        var result = await AddApp("{\n  \"id\": \"/web\",\n  \"cmd\": \"sleep 10\"\n  \"cpus\": 1\n}", master);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("error: web.json: invalid JSON at line 4, position 3: ", line, StringComparison.Ordinal);
        Assert.Empty(master.Requests);
    }

    [Fact]
    public async Task LowercaseOperatorsAndNumericStrings_AreAcceptedLikeTheMasterDoes()
    {
        var master = new FakeMaster().Post("/api/apps", SampleData.App(0, 1), System.Net.HttpStatusCode.Created).Get("/api/apps/web", SampleData.App(1, 1));

        var result = await AddApp("""{"id": "/web", "cmd": "x", "cpus": "0.5", "constraints": [["hostname", "unique"], ["rack", "GROUP_BY", "2"], ["rack", "LIKE", "r[12]"]]}""", master);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task UnknownFields_AreWarningsNotErrors()
    {
        var master = new FakeMaster().Post("/api/apps", SampleData.App(0, 1), System.Net.HttpStatusCode.Created);
        using var file = new CliRunner.TempFile("""{"id": "/web", "cmd": "x", "instnces": 3, "container": {}}""");

        var result = await CliRunner.Run(master, "app", "add", file.Path, "--no-wait");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("instnces: unknown field; ignored", result.Stderr);
        Assert.Contains("container: Marathon field not supported by DcOs; ignored", result.Stderr);
    }

    [Fact]
    public async Task MissingFile_IsExit1()
    {
        var result = await CliRunner.Run(new FakeMaster(), "app", "add", "/no/such/dir/web.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: /no/such/dir/web.json: no such file"], result.StderrLines);
    }

    [Theory]
    [InlineData("""{"run": {"cmd": "x"}}""", "id: is required (a job id such as \"nightly-report\")")]
    [InlineData("""{"id": "hello"}""", "run: is required: {\"cmd\": ..., \"cpus\": ..., \"mem\": ...}")]
    [InlineData("""{"id": "hello", "run": {"cpus": 1}}""", "run.cmd: is required (the shell command the job runs)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "cpus": -0.5}}""", "run.cpus: must not be negative (got -0.5)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "deadlineSeconds": 0}}""", "run.deadlineSeconds: must be a positive number of seconds (got 0)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x", "maxRetries": -1}}""", "run.maxRetries: must not be negative (got -1)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x"}, "schedule": "every day"}""", "schedule: \"every day\" is not a five-field cron expression (minute hour day month weekday)")]
    [InlineData("""{"id": "hello", "run": {"cmd": "x"}, "schedule": "61 * * * *"}""", "schedule: minute \"61\" is outside 0-59")]
    public async Task InvalidJobFile_NamesTheField(string content, string expected)
    {
        using var file = new CliRunner.TempFile(content, "job.json");
        var master = new FakeMaster();

        var result = await CliRunner.Run(master, "job", "add", file.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {file.Path}: {expected}"], result.StderrLines);
        Assert.Empty(master.Requests);
    }

    [Theory]
    [InlineData("web-app.json", true)]
    [InlineData("sleep-app.json", true)]
    [InlineData("hello-job.json", false)]
    [InlineData("deadline-job.json", false)]
    public void ExampleFiles_AreValid(string name, bool isApp)
    {
        var path = Path.Combine(CliRunner.RepositoryRoot(), "samples", "examples", name);
        var content = File.ReadAllText(path);

        var file = isApp ? AppFileValidator.ValidateApp(content, name) : AppFileValidator.ValidateJob(content, name);

        Assert.Empty(file.Warnings);
    }

    [Fact]
    public void ExampleApps_HaveTheAdvertisedShape()
    {
        var examples = Path.Combine(CliRunner.RepositoryRoot(), "samples", "examples");
        var sleep = AppFileValidator.ValidateApp(File.ReadAllText(Path.Combine(examples, "sleep-app.json")), "sleep-app.json");
        var web = AppFileValidator.ValidateApp(File.ReadAllText(Path.Combine(examples, "web-app.json")), "web-app.json");

        Assert.Equal(5, sleep.Instances);
        Assert.Equal(2, web.Instances);
        Assert.Contains("deadlineSeconds", File.ReadAllText(Path.Combine(examples, "deadline-job.json")), StringComparison.Ordinal);
    }
}
