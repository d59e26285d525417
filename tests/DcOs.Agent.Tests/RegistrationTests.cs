using DcOs.Core;
using DcOs.Transport.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DcOs.Agent.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public async Task First_registration_sends_the_machine_and_keeps_the_assigned_id_in_the_work_dir()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        await using var agent = await TestAgent.StartAsync(master, o => o.Cost = new AgentCostOptions { MachinePerHour = 0.5, SpeedFactor = 2, Preemptible = true });

        var register = await master.RegistrationAsync<RegisterAgent>();
        var info = register.Agent!;
        Assert.True(info.Id.IsEmpty);
        Assert.Equal("test-host", info.Hostname);
        Assert.Equal(4, info.Resources.Cpus);
        Assert.Equal(4096, info.Resources.MemMb);
        Assert.Equal(RangeSet.Of(31000, 31099), info.Resources.Ports);
        Assert.Equal("r1", info.Attributes.GetText("rack"));
        Assert.Equal("z1", info.Attributes.GetText("zone"));
        Assert.False(string.IsNullOrEmpty(info.Attributes.GetText("os")));
        Assert.Equal(0.5, info.Cost.MachinePerHour);
        Assert.Equal(2, info.Cost.SpeedFactor);
        Assert.True(info.Cost.Preemptible);

        Assert.Equal(master.AssignedId, agent.Agent.AgentId);
        Assert.Equal(master.AssignedId.Value, File.ReadAllText(Path.Combine(agent.WorkDir, "agent.id")).Trim());
        Assert.False(File.Exists(Path.Combine(agent.WorkDir, "agent.id.tmp")));
    }

    [Fact]
    public async Task A_task_sent_right_behind_the_first_registration_answer_runs_as_the_registered_agent()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        master.LaunchRightAfterRegistration = new RunTask { FrameworkId = new FrameworkId("fw1"), Task = Tasks.Shell("eager", "true") };
        await using var agent = await TestAgent.StartAsync(master);

        var updates = await master.TerminalAsync("eager");

        Assert.Equal(TaskState.Finished, updates[^1].State);
        Assert.All(updates, u => Assert.Equal(master.AssignedId, u.AgentId));
        Assert.Equal(master.AssignedId.Value, File.ReadAllText(Path.Combine(agent.WorkDir, "agent.id")).Trim());
    }

    [Fact]
    public async Task After_a_reconnect_the_agent_reregisters_with_its_id_and_running_tasks()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        await using var agent = await TestAgent.StartAsync(master);
        await master.RunAsync("fw1", Tasks.Shell("long", "sleep 60", ports: "[31001-31001]"));
        await master.WaitForStateAsync("long", TaskState.Running);

        await master.DisconnectAgentAsync();
        var again = await master.RegistrationAsync<ReregisterAgent>(1);

        Assert.Equal(master.AssignedId, again.Agent!.Id);
        var task = Assert.Single(again.Tasks);
        Assert.Equal("long", task.TaskId.Value);
        Assert.Equal("fw1", task.FrameworkId.Value);
        Assert.Equal(TaskState.Running, task.State);
        Assert.Equal(RangeSet.Of(31001, 31001), task.Resources.Ports);
        Assert.Equal("sleep 60", task.Spec!.Command.Shell);
        Assert.Equal(agent.Agent.IsolationWarning, again.IsolationWarning);
    }

    [Fact]
    public async Task An_agent_restarted_on_the_same_work_dir_reregisters_with_the_same_id()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        var workDir = TestAgent.NewWorkDir();
        try
        {
            await using (var first = await TestAgent.StartAsync(master, workDir: workDir))
            {
                Assert.Equal(master.AssignedId, first.Agent.AgentId);
            }
            var firstId = master.AssignedId;
            master.AssignedId = AgentId.New();
            await using var second = await TestAgent.StartAsync(master, workDir: workDir);

            var reregister = await master.RegistrationAsync<ReregisterAgent>(1);
            Assert.Equal(firstId, reregister.Agent!.Id);
            Assert.Equal(firstId, second.Agent.AgentId);
        }
        finally
        {
            TestFiles.DeleteDirectory(workDir);
        }
    }

    [Fact]
    public async Task A_refused_registration_is_retried()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        master.RefuseWith = new ErrorMessage { Code = ErrorCode.Unauthorized, Message = "not today" };
        await using var agent = await TestAgent.StartAsync(master, waitForRegistration: false);
        await master.WaitUntilAsync(() => master.Registrations.Count >= 2, "a second attempt");
        master.RefuseWith = null;
        await agent.Agent.WaitUntilRegisteredAsync().WaitAsync(TestTimeouts.Default);
        Assert.Equal(master.AssignedId, agent.Agent.AgentId);
    }

    [Fact]
    public async Task Two_agents_cannot_share_a_work_dir()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        await using var first = await TestAgent.StartAsync(master);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestAgent.StartAsync(master, workDir: first.WorkDir, waitForRegistration: false));
        Assert.Contains("used by another agent", e.Message);
    }

    [Fact]
    public async Task Bad_options_fail_at_start_naming_the_option()
    {
        var services = new ServiceCollection();
        services.AddDcOsAgent(o =>
        {
            o.Master = "127.0.0.1:5050";
            o.Ports = "31000-30000";
        });
        services.AddDcOsAgent(o => o.WorkDir = "/tmp/x");
        Assert.Single(services, d => d.ServiceType == typeof(IDcOsAgent));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        await using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AgentOptions>>().Value);
        Assert.Contains("AgentOptions.Ports", e.Message);

        Assert.Contains("AgentOptions.WorkDir", Assert.Throws<ArgumentException>(() => new AgentOptions { Master = "m:1" }.Validate()).Message);
        Assert.Contains("AgentOptions.Master", Assert.Throws<ArgumentException>(() => new AgentOptions { WorkDir = "/tmp/x" }.Validate()).Message);
        Assert.Contains("AgentOptions.Master", Assert.Throws<ArgumentException>(() => new AgentOptions { WorkDir = "/tmp/x", Master = "no-port" }.Validate()).Message);
        Assert.Contains("AgentOptions.Attributes", Assert.Throws<ArgumentException>(() => new AgentOptions { WorkDir = "/x", Master = "m:1", Attributes = "rack" }.Validate()).Message);
        Assert.Contains("AgentOptions.Cpus", Assert.Throws<ArgumentException>(() => new AgentOptions { WorkDir = "/x", Master = "m:1", Cpus = -1 }.Validate()).Message);
        Assert.Contains("AgentOptions.Cost", Assert.Throws<ArgumentException>(() => new AgentOptions { WorkDir = "/x", Master = "m:1", Cost = new AgentCostOptions { SpeedFactor = 0 } }.Validate()).Message);
        Assert.Contains("AgentOptions.TlsCertFile", Assert.Throws<ArgumentException>(() => new AgentOptions { WorkDir = "/x", Master = "m:1", TlsCertFile = "agent.crt" }.Validate()).Message);
        Assert.Contains("empty entry", Assert.Throws<ArgumentException>(() => new AgentOptions { WorkDir = "/x", Master = "m1:1,,m2:1" }.Validate()).Message);
        Assert.Contains("\"m2\" is not of the form host:port", Assert.Throws<ArgumentException>(() => new AgentOptions { WorkDir = "/x", Master = "m1:1, m2" }.Validate()).Message);
        new AgentOptions { WorkDir = "/x", Master = "[::1]:5050", Ports = "31000-31099,32000" }.Validate();
        new AgentOptions { WorkDir = "/x", Master = "m1.example:5050, 10.0.0.2:5050,[::1]:5050" }.Validate();
    }

    [Fact]
    public async Task The_host_runs_the_agent()
    {
        await using var master = await MasterDouble.StartTcpAsync();
        var workDir = TestAgent.NewWorkDir();
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddDcOsAgent(o =>
            {
                o.Master = master.EndPoint.ToString();
                o.WorkDir = workDir;
                o.Cpus = 1;
                o.MemMb = 256;
                o.KillTasksOnShutdown = true;
            });
            using var host = builder.Build();
            await host.StartAsync();
            await host.Services.GetRequiredService<IDcOsAgent>().WaitUntilRegisteredAsync().WaitAsync(TestTimeouts.Default);
            await master.RunAsync("fw", Tasks.Argv("t", "true"));
            Assert.Equal(TaskState.Finished, (await master.TerminalAsync("t"))[^1].State);
            await host.StopAsync();
        }
        finally
        {
            TestFiles.DeleteDirectory(workDir);
        }
    }
}
