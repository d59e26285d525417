using DcOs.Agent.Internal.Linux;
using DcOs.Agent.Internal.Tasks;
using DcOs.Core;

namespace DcOs.Agent.Tests;

/// <summary>
/// Tasks as unprivileged users: an agent running as root (as CI runs) runs a task as the user it names, or as
/// <c>nobody</c>, in a sandbox only that user may enter; the task cannot read /etc/shadow, another user's sandbox or
/// the agent's own files. Real processes, real accounts from /etc/passwd.
/// </summary>
public sealed class TaskUserTests : IAsyncLifetime
{
    private MasterDouble _master = null!;
    private TestAgent _agent = null!;

    public async ValueTask InitializeAsync()
    {
        _master = await MasterDouble.StartTcpAsync();
        _agent = await TestAgent.StartAsync(_master);
    }

    public async ValueTask DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _master.DisposeAsync();
    }

    private static void RequireRoot()
    {
        if (!OperatingSystem.IsLinux() || LibC.geteuid() != 0) Assert.Skip("switching users needs an agent running as root on Linux");
    }

    private static TaskSpec As(string? user, string id, string command)
    {
        var spec = Tasks.Shell(id, command);
        return spec with { Command = spec.Command with { User = user } };
    }

    private async Task<string> StdoutAsync(string id)
    {
        await _master.TerminalAsync(id);
        return await File.ReadAllTextAsync(Path.Combine(_agent.Sandbox("fw1", id), "stdout"));
    }

    [Fact]
    public async Task A_task_that_names_no_user_runs_as_nobody_and_cannot_read_etc_shadow()
    {
        RequireRoot();
        await _master.RunAsync("fw1", As(null, "who", "id -un; id -u; echo home=$HOME; cat /etc/shadow > /dev/null 2>&1; echo shadow=$?; touch mine && echo wrote=$?"));

        var stdout = await StdoutAsync("who");

        Assert.Contains("nobody\n65534\n", stdout);
        Assert.Contains($"home={_agent.Sandbox("fw1", "who")}\n", stdout);
        Assert.Contains("shadow=1", stdout);
        Assert.Contains("wrote=0", stdout);
        var sandbox = new DirectoryInfo(_agent.Sandbox("fw1", "who"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, sandbox.UnixFileMode);
    }

    [Fact]
    public async Task A_task_cannot_read_another_users_sandbox_nor_the_agents_files()
    {
        RequireRoot();
        // The holder leaves its secret in its sandbox, which stays after it finished (until the sandbox is collected).
        await _master.RunAsync("fw1", As("daemon", "holder", "echo s3cret > secret"));
        await _master.WaitForStateAsync("holder", TaskState.Finished);
        var secret = Path.Combine(_agent.Sandbox("fw1", "holder"), "secret");
        var meta = _agent.Runtime.Paths.Meta;
        var agentId = _agent.Runtime.Paths.AgentIdFile;

        await _master.RunAsync("fw1", As(null, "snoop", $"cat {secret}; echo sandbox=$?; ls {meta}; echo meta=$?; cat {agentId}; echo id=$?; ls {_agent.WorkDir}; echo list=$?"));
        await _master.RunAsync("fw1", As("root", "admin", $"cat {secret}"));

        var snoop = await StdoutAsync("snoop");
        Assert.DoesNotContain("s3cret", snoop);
        Assert.Contains("sandbox=1", snoop);
        Assert.Contains("meta=2", snoop);
        Assert.Contains("id=1", snoop);
        Assert.Contains("list=2", snoop);
        // The path is right: a task that asks to run as root (never the default) reads it.
        Assert.Contains("s3cret", await StdoutAsync("admin"));
    }

    [Fact]
    public async Task A_task_naming_a_user_the_machine_does_not_have_fails_saying_so()
    {
        RequireRoot();
        await _master.RunAsync("fw1", As("no-such-user", "ghost", "true"));

        var failed = (await _master.TerminalAsync("ghost"))[^1];

        Assert.Equal(TaskState.Failed, failed.State);
        Assert.Contains("user 'no-such-user' does not exist on this agent", failed.Message);
    }

    [Fact]
    public void An_agent_that_is_not_root_runs_tasks_as_itself_and_refuses_another_user()
    {
        var users = new TaskUsers("nobody", new UserAccount("alice", 1000, 1000), "/usr/bin/setpriv");

        Assert.Equal(1000, users.Resolve(null).Account!.Uid);
        Assert.Equal(1000, users.Resolve("alice").Account!.Uid);
        var (account, problem) = users.Resolve("root");
        Assert.Null(account);
        Assert.Contains("runs as 'alice' and cannot run tasks as 'root'", problem);
        Assert.False(users.Switches(users.Resolve(null).Account!));
    }

    [Fact]
    public void A_root_agent_without_setpriv_refuses_to_run_tasks_as_it_would_run_them_as_root()
    {
        var users = new TaskUsers("nobody", new UserAccount("root", 0, 0), setpriv: null);

        var (account, problem) = users.Resolve(null);

        Assert.Null(account);
        Assert.Contains("setpriv (util-linux) is not installed", problem);
        Assert.Equal(0, users.Resolve("root").Account!.Uid);
    }

    [Theory]
    [InlineData("-rf")]
    [InlineData("a b")]
    [InlineData("../etc")]
    [InlineData("")]
    public void A_user_name_that_is_not_one_is_refused_at_validation(string name)
    {
        var spec = As(name, "bad", "true");

        var e = Assert.Throws<ValidationException>(() => spec.Validate());

        Assert.Equal("task.command.user", e.Field);
    }
}
