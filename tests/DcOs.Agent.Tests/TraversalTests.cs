using DcOs.Agent.Internal;
using DcOs.Core;
using DcOs.Transport.Messages;

namespace DcOs.Agent.Tests;

public sealed class TraversalTests
{
    [Theory]
    [InlineData("..")]
    [InlineData("../etc")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("/etc/passwd")]
    [InlineData("a\0b")]
    [InlineData("")]
    public void Ids_that_could_leave_a_directory_are_refused(string text)
    {
        Assert.Throws<ValidationException>(() => new TaskId(text));
        Assert.Throws<ValidationException>(() => new FrameworkId(text));
        Assert.False(TaskId.TryParse(text, out _));
    }

    [Fact]
    public void Paths_stay_under_the_work_dir()
    {
        var paths = new AgentPaths("/tmp/dcos-work/../dcos-work");
        Assert.Equal("/tmp/dcos-work", paths.Root);
        Assert.Equal("/tmp/dcos-work/sandboxes/fw/t1", paths.SandboxDir(new FrameworkId("fw"), new TaskId("t1")));
        Assert.Equal("/tmp/dcos-work/sandboxes/fw/t1/stdout", paths.LogFile(new FrameworkId("fw"), new TaskId("t1"), "stdout"));

        Assert.Throws<ArgumentException>(() => paths.Checked("/tmp/dcos-work/../etc/passwd"));
        Assert.Throws<ArgumentException>(() => paths.Checked("/tmp/dcos-work-other/x"));
        Assert.Throws<ArgumentException>(() => paths.Checked("/tmp/dcos-work"));
        Assert.Throws<ValidationException>(() => paths.SandboxDir(default, new TaskId("t1")));
        Assert.Throws<ValidationException>(() => paths.SandboxDir(new FrameworkId("fw"), default));
        foreach (var name in (string[])["../../agent.id", "/etc/passwd", "stdout/../../x", "task.json", "", "STDOUT"])
            Assert.Throws<ArgumentException>(() => paths.LogFile(new FrameworkId("fw"), new TaskId("t1"), name));
    }

    [Fact]
    public async Task Log_reads_refuse_other_files_and_links_planted_by_the_task()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        await using var agent = await TestAgent.StartAsync(master);
        File.WriteAllText(Path.Combine(agent.WorkDir, "secret"), "do not read");
        await master.RunAsync("fw1", Tasks.Shell("sneaky", "rm stdout; ln -s ../../../secret stdout; ln -s /etc/hostname stderr2"));
        await master.TerminalAsync("sneaky");

        foreach (var file in (string[])["../../../secret", "/etc/passwd", "stderr2", "..", "stdout\0"])
        {
            var refused = Assert.IsType<ErrorMessage>(await master.RequestAsync(new ReadTaskLog { FrameworkId = new FrameworkId("fw1"), TaskId = new TaskId("sneaky"), File = file }));
            Assert.Equal(ErrorCode.Invalid, refused.Code);
        }
        var link = Assert.IsType<ErrorMessage>(await master.RequestAsync(new ReadTaskLog { FrameworkId = new FrameworkId("fw1"), TaskId = new TaskId("sneaky"), File = "stdout" }));
        Assert.Equal(ErrorCode.NotFound, link.Code);
        Assert.Equal("do not read", File.ReadAllText(Path.Combine(agent.WorkDir, "secret")));
    }

    [Fact]
    public async Task A_task_cannot_make_the_agent_cut_a_file_outside_its_sandbox()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        await using var agent = await TestAgent.StartAsync(master, o => o.MaxLogFileBytes = 4096);
        var victim = Path.Combine(agent.WorkDir, "victim");
        File.WriteAllText(victim, new string('v', 10_000));
        await master.RunAsync("fw1", Tasks.Shell("linker", $"rm stdout; ln -s {victim} stdout"));
        await master.TerminalAsync("linker");
        Assert.Equal(10_000, new FileInfo(victim).Length);
    }
}
