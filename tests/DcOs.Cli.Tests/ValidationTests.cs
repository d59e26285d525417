using System.Net;

namespace DcOs.Cli.Tests;

/// <summary>
/// App and job files are judged by the master (its door is tested in DcOs.Frameworks.Tests): the CLI sends the file
/// as it is and prints a refusal after the file's name; only what concerns the file itself is checked here.
/// </summary>
public sealed class ValidationTests
{
    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "cpus: must not be negative (got -1)")]
    [InlineData(HttpStatusCode.BadRequest, "instnces: is not a field; did you mean \\\"instances\\\"?")]
    [InlineData(HttpStatusCode.BadRequest, "invalid JSON at line 4, position 3: '\\\"' is invalid after a value")]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, "the body is larger than 1024 KiB; a definition is a few KiB")]
    [InlineData(HttpStatusCode.UnprocessableEntity, "constraints[0].operator: unknown operator")]
    public async Task A_refused_app_file_prints_the_masters_answer_after_the_file_name(HttpStatusCode status, string error)
    {
        const string content = """{"id": "/web", "cmd": "x", "cpus": -1}""";
        var master = new FakeMaster().Error("POST", "/api/apps", status, error);
        using var file = new CliRunner.TempFile(content);

        var result = await CliRunner.Run(master, "app", "add", file.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {file.Path}: {error.Replace("\\\"", "\"", StringComparison.Ordinal)}"], result.StderrLines);
        var sent = Assert.Single(master.Requests);
        Assert.Equal(content, sent.Body);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task A_conflict_is_the_masters_word_without_the_file_name()
    {
        var master = new FakeMaster().Error("POST", "/api/apps", HttpStatusCode.Conflict, "app '/web' already exists");
        using var file = new CliRunner.TempFile("""{"id": "/web", "cmd": "x"}""");

        var result = await CliRunner.Run(master, "app", "add", file.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: app '/web' already exists"], result.StderrLines);
    }

    [Fact]
    public async Task A_refused_job_file_prints_the_masters_answer_after_the_file_name()
    {
        var master = new FakeMaster().Error("POST", "/api/jobs", HttpStatusCode.BadRequest, "schedule: \\\"61 * * * *\\\" is not a valid cron expression");
        using var file = new CliRunner.TempFile("""{"id": "hello", "run": {"cmd": "x"}, "schedule": "61 * * * *"}""", "job.json");

        var result = await CliRunner.Run(master, "job", "add", file.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {file.Path}: schedule: \"61 * * * *\" is not a valid cron expression"], result.StderrLines);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    public async Task An_empty_file_is_refused_without_a_request(string content)
    {
        var master = new FakeMaster();
        using var file = new CliRunner.TempFile(content);

        var result = await CliRunner.Run(master, "app", "add", file.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {file.Path}: the file is empty"], result.StderrLines);
        Assert.Empty(master.Requests);
    }

    [Fact]
    public async Task MissingFile_IsExit1()
    {
        var master = new FakeMaster();

        var result = await CliRunner.Run(master, "app", "add", "/no/such/dir/web.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["error: /no/such/dir/web.json: no such file"], result.StderrLines);
        Assert.Empty(master.Requests);
    }

    [Fact]
    public async Task A_directory_is_not_a_file()
    {
        using var file = new CliRunner.TempFile("{}");

        var result = await CliRunner.Run(new FakeMaster(), "job", "add", file.Directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {file.Directory}: is a directory, not a JSON file"], result.StderrLines);
    }
}
