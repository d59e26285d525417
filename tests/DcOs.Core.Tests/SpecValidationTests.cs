using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class SpecValidationTests
{
    private static TaskSpec ValidTask() => new()
    {
        Id = new TaskId("web-1"),
        Command = CommandSpec.FromShell("sleep 10"),
        Resources = Resources.Parse("cpus:0.5;mem:128;ports:[31000-31001]"),
    };

    private static FrameworkInfo ValidFramework() => new() { Name = "marathon" };

    private static AgentInfo ValidAgent() => new()
    {
        Hostname = "agent-1.example.com",
        Resources = Resources.Parse("cpus:4;mem:8192"),
        Zone = "z1",
        Region = "r1",
    };

    [Fact]
    public void A_valid_task_passes_and_is_returned()
    {
        var task = ValidTask();

        Assert.Same(task, task.Validate());
        var argv = task with { Command = CommandSpec.FromArgv("/bin/echo", "hi") };
        Assert.Same(argv, argv.Validate());
        Assert.Equal(TaskSpec.DefaultKillGracePeriod, task.KillGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(3), TaskSpec.DefaultKillGracePeriod);
    }

    public static TheoryData<string, string> InvalidTasks() => new()
    {
        { "no id", "task.id" },
        { "null command", "task.command" },
        { "command with neither shell nor argv", "task.command" },
        { "command with both shell and argv", "task.command" },
        { "empty shell text", "task.command.shell" },
        { "empty argv", "task.command.argv" },
        { "empty program", "task.command.argv[0]" },
        { "NUL in an argument", "task.command.argv[1]" },
        { "bad environment name", "task.command.environment" },
        { "NUL in an environment value", "task.command.environment.X" },
        { "empty resources", "task.resources" },
        { "neither cpus nor mem", "task.resources" },
        { "negative kill grace period", "task.killGracePeriod" },
        { "health check port index beyond the ports", "task.healthCheck.portIndex" },
        { "http health check without any port", "task.healthCheck.portIndex" },
        { "command health check without a command", "task.healthCheck.command" },
        { "http health check path without slash", "task.healthCheck.path" },
        { "health check interval zero", "task.healthCheck.interval" },
        { "health check fixed port out of range", "task.healthCheck.port" },
        { "empty name", "task.name" },
        { "empty label key", "task.labels" },
    };

    [Theory]
    [MemberData(nameof(InvalidTasks))]
    public void Invalid_tasks_are_refused_naming_the_field(string problem, string field)
    {
        var valid = ValidTask();
        var task = problem switch
        {
            "no id" => valid with { Id = default },
            "null command" => valid with { Command = null! },
            "command with neither shell nor argv" => valid with { Command = new CommandSpec() },
            "command with both shell and argv" => valid with { Command = new CommandSpec { Shell = "ls", Argv = ["ls"] } },
            "empty shell text" => valid with { Command = CommandSpec.FromShell(" ") },
            "empty argv" => valid with { Command = CommandSpec.FromArgv() },
            "empty program" => valid with { Command = CommandSpec.FromArgv("") },
            "NUL in an argument" => valid with { Command = CommandSpec.FromArgv("ls", "a\0b") },
            "bad environment name" => valid with { Command = CommandSpec.FromShell("ls") with { Environment = new Dictionary<string, string> { ["A=B"] = "x" } } },
            "NUL in an environment value" => valid with { Command = CommandSpec.FromShell("ls") with { Environment = new Dictionary<string, string> { ["X"] = "a\0" } } },
            "empty resources" => valid with { Resources = Resources.Empty },
            "neither cpus nor mem" => valid with { Resources = Resources.Parse("disk:100") },
            "negative kill grace period" => valid with { KillGracePeriod = TimeSpan.FromSeconds(-1) },
            "health check port index beyond the ports" => valid with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Tcp, PortIndex = 2 } },
            "http health check without any port" => valid with
            {
                Resources = Resources.Parse("cpus:1"),
                HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Http },
            },
            "command health check without a command" => valid with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Command } },
            "http health check path without slash" => valid with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Http, Path = "health" } },
            "health check interval zero" => valid with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Tcp, Interval = TimeSpan.Zero } },
            "health check fixed port out of range" => valid with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Tcp, Port = 70000 } },
            "empty name" => valid with { Name = "" },
            "empty label key" => valid with { Labels = new Dictionary<string, string> { [""] = "x" } },
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };

        ValidationAssert.Refuses(field, () => task.Validate());
    }

    [Fact]
    public void Health_checks_on_an_existing_port_index_or_a_fixed_port_pass()
    {
        var task = ValidTask();

        task.Validate();
        (task with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Tcp, PortIndex = 1 } }).Validate();
        (task with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Http, PortIndex = 0, Path = "/health" } }).Validate();
        (task with
        {
            Resources = Resources.Parse("cpus:1"),
            HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Http, Port = 8080 },
        }).Validate();
        (task with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Command, Command = CommandSpec.FromShell("true") } }).Validate();
        ValidationAssert.Refuses("task.healthCheck.portIndex", () => (task with { HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Tcp, PortIndex = 2 } }).Validate());
    }

    [Fact]
    public void A_task_with_only_cpus_or_only_mem_passes()
    {
        (ValidTask() with { Resources = Resources.Parse("cpus:0.1") }).Validate();
        (ValidTask() with { Resources = Resources.Parse("mem:32") }).Validate();
        (ValidTask() with { KillGracePeriod = TimeSpan.Zero }).Validate();
    }

    [Fact]
    public void HealthCheckSpec_validates_its_own_fields()
    {
        new HealthCheckSpec { Kind = HealthCheckKind.Tcp }.Validate();
        ValidationAssert.Refuses("healthCheck.kind", () => new HealthCheckSpec { Kind = (HealthCheckKind)7 }.Validate());
        ValidationAssert.Refuses("healthCheck.portIndex", () => new HealthCheckSpec { Kind = HealthCheckKind.Tcp, PortIndex = -1 }.Validate());
        ValidationAssert.Refuses("healthCheck.port", () => new HealthCheckSpec { Kind = HealthCheckKind.Tcp, Port = 0 }.Validate());
        ValidationAssert.Refuses("healthCheck.delay", () => new HealthCheckSpec { Kind = HealthCheckKind.Tcp, Delay = TimeSpan.FromSeconds(-1) }.Validate());
        ValidationAssert.Refuses("healthCheck.gracePeriod", () => new HealthCheckSpec { Kind = HealthCheckKind.Tcp, GracePeriod = TimeSpan.FromSeconds(-1) }.Validate());
        ValidationAssert.Refuses("healthCheck.timeout", () => new HealthCheckSpec { Kind = HealthCheckKind.Tcp, Timeout = TimeSpan.Zero }.Validate());
        ValidationAssert.Refuses("healthCheck.consecutiveFailures", () => new HealthCheckSpec { Kind = HealthCheckKind.Tcp, ConsecutiveFailures = 0 }.Validate());
        ValidationAssert.Refuses("healthCheck.command.shell", () => new HealthCheckSpec { Command = CommandSpec.FromShell("") }.Validate());
    }

    [Fact]
    public void CommandSpec_validates_with_the_given_field_path()
    {
        CommandSpec.FromShell("echo hi").Validate();
        CommandSpec.FromArgv("/bin/echo", "").Validate();
        ValidationAssert.Refuses("command", () => new CommandSpec().Validate());
        ValidationAssert.Refuses("job.cmd", () => new CommandSpec().Validate("job.cmd"));
        ValidationAssert.Refuses("command.argv[0]", () => CommandSpec.FromArgv(" ").Validate());
    }

    [Fact]
    public void A_command_the_kernel_could_not_exec_is_refused_naming_the_part()
    {
        // One argument: at most MAX_ARG_STRLEN less its NUL, counted in UTF-8 bytes.
        CommandSpec.FromShell(new string('x', CommandSpec.MaxArgumentBytes)).Validate();
        Assert.Equal("command.shell", Assert.Throws<ValidationException>(() => CommandSpec.FromShell(new string('x', CommandSpec.MaxArgumentBytes + 1)).Validate()).Field);
        var wide = new string('é', CommandSpec.MaxArgumentBytes / 2 + 1);
        Assert.Contains("bytes", Assert.Throws<ValidationException>(() => CommandSpec.FromArgv("/bin/echo", wide).Validate()).Message);
        Assert.Equal("command.argv[1]", Assert.Throws<ValidationException>(() => CommandSpec.FromArgv("/bin/echo", wide).Validate()).Field);
        var bigValue = new Dictionary<string, string> { ["BIG"] = new string('v', CommandSpec.MaxArgumentBytes) };
        Assert.Equal("command.environment.BIG", Assert.Throws<ValidationException>(() => (CommandSpec.FromShell("true") with { Environment = bigValue }).Validate()).Field);

        // Together: at most MaxTotalBytes, however it is split.
        var many = Enumerable.Range(0, 9).ToDictionary(i => $"V{i}", _ => new string('v', 120_000));
        var total = Assert.Throws<ValidationException>(() => (CommandSpec.FromShell("true") with { Environment = many }).Validate());
        Assert.Equal("command", total.Field);
        Assert.Contains("ARG_MAX", total.Message);
        Assert.Equal("command.shell", Assert.Throws<ValidationException>(() => CommandSpec.FromShell("a\0b").Validate()).Field);
    }

    [Fact]
    public void A_valid_framework_passes()
    {
        var fw = ValidFramework();

        Assert.Same(fw, fw.Validate());
        Assert.Equal(["*"], fw.Roles);
        Assert.False(fw.IsPartitionAware);
        Assert.True((fw with { Capabilities = FrameworkCapabilities.PartitionAware }).IsPartitionAware);
        (fw with { Roles = ["web"] }).Validate();
        (fw with { Roles = ["team/web"] }).Validate();
        (fw with { Roles = ["a.b_c-d"] }).Validate();
        (fw with { Roles = ["web", "db", "*"], Capabilities = FrameworkCapabilities.MultiRole }).Validate();
        (fw with { FailoverTimeout = TimeSpan.FromDays(7) }).Validate();
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("-x")]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("a//b")]
    [InlineData("/a")]
    [InlineData("a/")]
    [InlineData("a/../b")]
    [InlineData("a/-b")]
    [InlineData("a\0b")]
    [InlineData("rôle")]
    [InlineData("a*")]
    public void Bad_role_names_are_refused_naming_the_role(string role)
    {
        ValidationAssert.Refuses("framework.roles[0]", () => (ValidFramework() with { Roles = [role] }).Validate());
        ValidationAssert.Refuses("framework.roles[1]", () => (ValidFramework() with
        {
            Roles = ["web", role],
            Capabilities = FrameworkCapabilities.MultiRole,
        }).Validate());
    }

    [Fact]
    public void A_role_longer_than_128_characters_is_refused()
    {
        (ValidFramework() with { Roles = [new string('r', 128)] }).Validate();
        ValidationAssert.Refuses("framework.roles[0]", () => (ValidFramework() with { Roles = [new string('r', 129)] }).Validate());
    }

    [Fact]
    public void Invalid_frameworks_are_refused_naming_the_field()
    {
        ValidationAssert.Refuses("framework.name", () => (ValidFramework() with { Name = "" }).Validate());
        ValidationAssert.Refuses("framework.name", () => (ValidFramework() with { Name = null! }).Validate());
        ValidationAssert.Refuses("framework.roles", () => (ValidFramework() with { Roles = [] }).Validate());
        ValidationAssert.Refuses("framework.roles", () => (ValidFramework() with { Roles = ["web", "db"] }).Validate());
        ValidationAssert.Refuses("framework.roles", () => (ValidFramework() with
        {
            Roles = ["web", "web"],
            Capabilities = FrameworkCapabilities.MultiRole,
        }).Validate());
        ValidationAssert.Refuses("framework.failoverTimeout", () => (ValidFramework() with { FailoverTimeout = TimeSpan.FromSeconds(-1) }).Validate());
    }

    [Fact]
    public void Several_roles_need_the_multi_role_capability()
    {
        var e = ValidationAssert.Refuses("framework.roles", () => (ValidFramework() with { Roles = ["web", "db"] }).Validate());

        Assert.Contains("MultiRole", e.Reason, StringComparison.Ordinal);
        (ValidFramework() with { Roles = ["web", "db"], Capabilities = FrameworkCapabilities.MultiRole | FrameworkCapabilities.GpuResources }).Validate();
    }

    [Fact]
    public void A_valid_agent_passes()
    {
        var agent = ValidAgent();

        Assert.Same(agent, agent.Validate());
        (agent with { Zone = null, Region = null }).Validate();
        (agent with { Hostname = "10.0.0.1" }).Validate();
        (agent with { Hostname = new string('h', 253) }).Validate();
        Assert.Equal(CostModel.Free, new AgentInfo { Hostname = "h" }.Cost);
        Assert.True(new AgentInfo { Hostname = "h" }.Id.IsEmpty);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("a b")]
    [InlineData("host\n")]
    [InlineData("host\0")]
    [InlineData("\thost")]
    public void Bad_agent_hostnames_are_refused(string hostname)
    {
        ValidationAssert.Refuses("agent.hostname", () => (ValidAgent() with { Hostname = hostname }).Validate());
    }

    [Fact]
    public void Invalid_agents_are_refused_naming_the_field()
    {
        ValidationAssert.Refuses("agent.hostname", () => (ValidAgent() with { Hostname = new string('h', 254) }).Validate());
        ValidationAssert.Refuses("agent.hostname", () => (ValidAgent() with { Hostname = null! }).Validate());
        ValidationAssert.Refuses("agent.region", () => (ValidAgent() with { Region = "" }).Validate());
        ValidationAssert.Refuses("agent.zone", () => (ValidAgent() with { Zone = " " }).Validate());
    }
}
