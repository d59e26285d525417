using DcOs.Core;
using DcOs.Transport.Messages;
using DcOs.Transport.Serialization;
using MessagePack;

namespace DcOs.Transport.Tests;

public sealed class SerializationTests
{
    private static T RoundTrip<T>(T message) where T : DcOsMessage
    {
        var bytes = DcOsSerializer.ToBytes(message);
        return Assert.IsType<T>(DcOsSerializer.Deserialize(new System.Buffers.ReadOnlySequence<byte>(bytes)));
    }

    internal static TaskSpec FullTask() => new()
    {
        Id = new TaskId("web.1"),
        Name = "web",
        Command = new CommandSpec { Shell = "python3 -m http.server $PORT0", Environment = new Dictionary<string, string> { ["MODE"] = "prod" } },
        Resources = Resources.Parse("cpus:0.5;mem:128;disk(web,r1):10;ports:[31000-31001];gpu_ids:{g0}"),
        Constraints = [PlacementConstraint.Parse("hostname:UNIQUE"), PlacementConstraint.Parse("rack:GROUP_BY:2"), PlacementConstraint.Parse("jdk:LIKE:7|8")],
        HealthCheck = new HealthCheckSpec { Kind = HealthCheckKind.Http, PortIndex = 1, Path = "/health", Delay = TimeSpan.FromSeconds(1), ConsecutiveFailures = 5 },
        KillGracePeriod = TimeSpan.FromSeconds(7),
        Labels = new Dictionary<string, string> { ["app"] = "/web" },
    };

    [Fact]
    public void A_run_task_keeps_every_field_of_the_spec()
    {
        var spec = FullTask();
        var back = RoundTrip(new RunTask { FrameworkId = new FrameworkId("fw1"), Task = spec }).Task!;
        Assert.Equal(spec.Id, back.Id);
        Assert.Equal(spec.Name, back.Name);
        Assert.Equal(spec.Command.Shell, back.Command.Shell);
        Assert.Null(back.Command.Argv);
        Assert.Equal("prod", back.Command.Environment["MODE"]);
        Assert.Equal(spec.Resources, back.Resources);
        Assert.Equal(spec.Constraints, back.Constraints);
        Assert.Equal(spec.HealthCheck, back.HealthCheck);
        Assert.Equal(TimeSpan.FromSeconds(7), back.KillGracePeriod);
        Assert.Equal("/web", back.Labels["app"]);
        back.Validate();
    }

    [Fact]
    public void An_argv_command_round_trips()
    {
        var spec = FullTask() with { Command = CommandSpec.FromArgv("/bin/echo", "a b", "c") };
        Assert.Equal(["/bin/echo", "a b", "c"], RoundTrip(new RunTask { Task = spec }).Task!.Command.Argv!);
    }

    [Fact]
    public void A_status_update_keeps_state_reason_time_uuid_and_health()
    {
        var status = new TaskStatusUpdate
        {
            TaskId = new TaskId("t1"),
            State = TaskState.Failed,
            Reason = TaskStatusReason.ContainerLimitationMemory,
            Source = TaskStatusSource.Executor,
            Message = "killed: memory limit of 64 MiB",
            Timestamp = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero),
            UpdateId = Guid.NewGuid(),
            Healthy = false,
            AgentId = new AgentId("a1"),
        };
        Assert.Equal(status, RoundTrip(new StatusUpdate { FrameworkId = new FrameworkId("fw"), Status = status }).Status);
    }

    [Fact]
    public void A_status_update_carries_the_exit_code_and_the_signal()
    {
        var exited = new TaskStatusUpdate { TaskId = new TaskId("t1"), State = TaskState.Failed, ExitCode = 3, UpdateId = Guid.NewGuid() };
        var killed = exited with { State = TaskState.Killed, ExitCode = null, Signal = 9 };
        Assert.Equal(exited, RoundTrip(new StatusUpdate { FrameworkId = new FrameworkId("fw"), Status = exited }).Status);
        Assert.Equal(killed, RoundTrip(new StatusUpdate { FrameworkId = new FrameworkId("fw"), Status = killed }).Status);
    }

    [Fact]
    public void A_status_update_from_a_peer_that_sends_nine_fields_has_no_exit_code()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(9);
        writer.Write("t1");
        writer.Write((byte)TaskState.Finished);
        writer.Write((byte)TaskStatusReason.CommandExited);
        writer.Write((byte)TaskStatusSource.Executor);
        writer.Write("exited with status 0");
        writer.Write(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).UtcTicks);
        GuidFormatter.Instance.Serialize(ref writer, Guid.NewGuid(), DcOsSerializer.Options);
        writer.WriteNil();
        writer.Write("a1");
        writer.Flush();

        var reader = new MessagePackReader(buffer.WrittenMemory);
        var status = TaskStatusUpdateFormatter.Instance.Deserialize(ref reader, DcOsSerializer.Options)!;

        Assert.Equal(TaskState.Finished, status.State);
        Assert.Equal(new AgentId("a1"), status.AgentId);
        Assert.Null(status.ExitCode);
        Assert.Null(status.Signal);
        Assert.True(reader.End);
    }

    [Fact]
    public void A_cost_written_without_the_gpu_speed_is_read_with_none_and_the_machine_speed_applies()
    {
        // What a peer from before the GPU speed writes: four fields.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePack.MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(0.5);
        writer.WriteMapHeader(0);
        writer.Write(2.0);
        writer.Write(false);
        writer.Flush();
        var reader = new MessagePack.MessagePackReader(buffer.WrittenMemory);
        var cost = DcOs.Transport.Serialization.CostModelFormatter.Instance.Deserialize(ref reader, MessagePack.MessagePackSerializerOptions.Standard)!;
        Assert.Null(cost.GpuSpeedFactor);
        Assert.Equal(2.0, cost.SpeedFor(Resources.Parse("cpus:1;gpus:1")));
    }

    [Fact]
    public void Gpu_devices_of_agents_offers_and_tasks_round_trip()
    {
        GpuDevice[] devices = [new() { Index = 0, Model = "A100-SXM4-40GB", MemoryMb = 40_960 }, new() { Index = 3, Model = "T4", MemoryMb = 15_360 }];
        var agent = new AgentInfo { Id = new AgentId("a1"), Hostname = "h", Resources = Resources.Parse("cpus:8;gpus:2"), Gpus = devices };
        Assert.Equal(devices, RoundTrip(new RegisterAgent { Agent = agent }).Agent!.Gpus);

        var offer = new Offer
        {
            Id = new OfferId("o1"), FrameworkId = new FrameworkId("fw"), AgentId = agent.Id, Hostname = "h", Resources = agent.Resources,
            Gpus = [new GpuAvailability(devices[0], 0.25), new GpuAvailability(devices[1], 1)],
        };
        Assert.Equal(offer.Gpus, Assert.Single(RoundTrip(new OffersMessage { Offers = [offer] }).Offers).Gpus);

        var task = FullTask() with { Resources = Resources.Parse("cpus:1;gpus:2"), GpuModel = "A100", GpuDevices = [0, 3] };
        var back = RoundTrip(new RunTask { Task = task }).Task!;
        Assert.Equal("A100", back.GpuModel);
        Assert.Equal([0, 3], back.GpuDevices!);
        Assert.Null(RoundTrip(new RunTask { Task = FullTask() }).Task!.GpuDevices);
    }

    [Fact]
    public void A_task_from_a_peer_that_sends_eight_fields_lets_the_master_choose_its_devices()
    {
        var bytes = MessagePackSerializer.Serialize(FullTask() with { GpuModel = "T4", GpuDevices = [1] }, DcOsSerializer.Options);
        // Cut the array header to eight fields and drop the two GPU fields after them.
        var reader = new MessagePackReader(bytes);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        Assert.Equal(10, reader.ReadArrayHeader());
        writer.WriteArrayHeader(8);
        for (var i = 0; i < 8; i++) writer.WriteRaw(reader.ReadRaw());
        writer.Flush();
        var old = MessagePackSerializer.Deserialize<TaskSpec>(buffer.WrittenMemory, DcOsSerializer.Options)!;
        Assert.Equal(("web.1", null, null), (old.Id.Value, old.GpuModel, old.GpuDevices));
    }

    [Fact]
    public void Agents_frameworks_and_offers_round_trip()
    {
        var agent = new AgentInfo
        {
            Id = new AgentId("a1"),
            Hostname = "h1.example",
            Resources = Resources.Parse("cpus:8;mem:16384;ports:[31000-32000]"),
            Attributes = Attributes.Parse("rack:r1;cores:8"),
            Region = "eu",
            Zone = "eu-1a",
            Cost = new CostModel { MachinePerHour = 0.4, PerUnitPerHour = new Dictionary<string, double> { ["gpus"] = 1.5 }, SpeedFactor = 1.5, GpuSpeedFactor = 4, Preemptible = true },
        };
        var back = RoundTrip(new RegisterAgent { Agent = agent }).Agent!;
        Assert.Equal(agent, back);

        var framework = new FrameworkInfo
        {
            Id = new FrameworkId("fw"),
            Name = "marathon",
            Principal = "ops",
            Roles = ["web", "batch"],
            FailoverTimeout = TimeSpan.FromMinutes(10),
            Capabilities = FrameworkCapabilities.PartitionAware | FrameworkCapabilities.MultiRole,
        };
        var fwBack = RoundTrip(new SubscribeFramework { Framework = framework }).Framework!;
        Assert.Equal(framework.Roles, fwBack.Roles);
        Assert.Equal(framework with { Roles = fwBack.Roles }, fwBack);

        var offer = new Offer
        {
            Id = new OfferId("o1"), FrameworkId = new FrameworkId("fw"), AgentId = agent.Id, Hostname = agent.Hostname,
            Resources = agent.Resources, Attributes = agent.Attributes, Zone = "eu-1a", Cost = agent.Cost, AgentTotal = agent.Resources,
        };
        Assert.Equal(offer, Assert.Single(RoundTrip(new OffersMessage { Offers = [offer] }).Offers));
    }

    [Fact]
    public void Requests_nest_any_message()
    {
        var back = RoundTrip(new Request { Id = 42, Body = new Decline { OfferIds = [new OfferId("o1")], RefuseSeconds = 2.5 } });
        Assert.Equal(42, back.Id);
        var decline = Assert.IsType<Decline>(back.Body);
        Assert.Equal(2.5, decline.RefuseSeconds);
    }

    [Fact]
    public void An_id_with_a_path_in_it_is_refused_when_read_from_the_wire()
    {
        // Hand-build [StatusUpdate, ["fw", ["../../etc", ...]]] so the sender's own validation cannot stop it.
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(writer);
        w.WriteArrayHeader(2);
        w.Write(60);
        w.WriteArrayHeader(2);
        w.Write("fw");
        w.WriteArrayHeader(9);
        w.Write("../../etc");
        w.Write((byte)TaskState.Running);
        w.Write((byte)0);
        w.Write((byte)0);
        w.WriteNil();
        w.Write(0L);
        w.WriteBinHeader(16);
        w.WriteRaw(new byte[16]);
        w.WriteNil();
        w.WriteNil();
        w.Flush();
        var e = Assert.Throws<MessagePackSerializationException>(() => DcOsSerializer.Deserialize(new System.Buffers.ReadOnlySequence<byte>(writer.WrittenMemory)));
        var inner = Assert.IsType<ValidationException>(e.GetBaseException());
        Assert.Equal("taskId", inner.Field);
    }

    [Fact]
    public void A_negative_amount_is_refused_when_read_from_the_wire()
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(writer);
        w.WriteArrayHeader(2);
        w.Write(20);
        w.WriteArrayHeader(1);
        w.WriteArrayHeader(7);
        w.WriteNil();
        w.Write("h");
        w.WriteArrayHeader(1);
        w.WriteArrayHeader(5);
        w.Write("cpus");
        w.Write((byte)ResourceKind.Scalar);
        w.WriteNil();
        w.WriteNil();
        w.Write(-1000L);
        w.WriteNil();
        w.WriteNil();
        w.WriteNil();
        w.WriteNil();
        w.Flush();
        var e = Assert.Throws<MessagePackSerializationException>(() => DcOsSerializer.Deserialize(new System.Buffers.ReadOnlySequence<byte>(writer.WrittenMemory)));
        Assert.Equal("resources.cpus", Assert.IsType<ValidationException>(e.GetBaseException()).Field);
    }

    [Fact]
    public void Every_union_key_is_unique_and_maps_to_a_message_type()
    {
        Assert.True(DcOsSerializer.IsKnownType(60));
        Assert.False(DcOsSerializer.IsKnownType(999));
        Assert.Equal("StatusUpdate", DcOsSerializer.TypeName(60));
    }
}
