using System.Net;
using DcOs.Core;
using DcOs.Framework;
using DcOs.Scheduling.Master;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DcOs.Scheduling.Tests.Master;

public sealed class HostingTests
{
    private sealed class NoopScheduler : FrameworkScheduler;

    private sealed class OtherScheduler : FrameworkScheduler;

    [Fact]
    public void The_removal_rate_limit_binds_from_configuration_as_a_host_sets_it()
    {
        // The sample master binds MasterOptions from DcOs:Engine: --DcOs:Engine:AgentRemovalRateLimit:Agents 1 ... :Per 00:20:00.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DcOs:Engine:AgentRemovalRateLimit:Agents"] = "1",
            ["DcOs:Engine:AgentRemovalRateLimit:Per"] = "00:20:00",
        }).Build();
        var services = new ServiceCollection();
        services.Configure<MasterOptions>(configuration.GetSection("DcOs:Engine"));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<MasterOptions>>().Value;
        Assert.Equal(new AgentRemovalRateLimit(1, TimeSpan.FromMinutes(20)), options.AgentRemovalRateLimit);
        Assert.Equal(TimeSpan.FromMinutes(20), options.AgentRemovalRateLimit!.Interval);
    }

    [Fact]
    public async Task A_host_runs_the_master_on_sqlite_and_a_framework_subscribes_to_it()
    {
        var dir = Directory.CreateTempSubdirectory("dcos-host-");
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddDcOsMaster(o => o.EndPoint = new IPEndPoint(IPAddress.Loopback, 0)).UseSqliteStore(Path.Combine(dir.FullName, "m.db"));
            builder.Services.AddDcOsMaster(); // safe twice
            using var host = builder.Build();
            await host.StartAsync();
            var master = host.Services.GetRequiredService<IMaster>();
            Assert.NotNull(master.LocalEndPoint);

            var fwBuilder = Host.CreateApplicationBuilder();
            fwBuilder.Services.AddDcOsFramework<NoopScheduler>(o =>
            {
                o.Master = master.LocalEndPoint!;
                o.Framework = new FrameworkInfo { Name = "hosted" };
            });
            using var fwHost = fwBuilder.Build();
            await fwHost.StartAsync();
            var client = fwHost.Services.GetRequiredService<IFrameworkClient>();
            await client.Subscribed.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal("hosted", Assert.Single(await master.GetFrameworksAsync()).Info.Name);
            await fwHost.StopAsync();
            await host.StopAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task One_host_runs_two_frameworks_each_with_its_own_options_client_and_connection()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDcOsMaster(o => o.EndPoint = new IPEndPoint(IPAddress.Loopback, 0));
        using var host = builder.Build();
        await host.StartAsync();
        var master = host.Services.GetRequiredService<IMaster>();

        var fwBuilder = Host.CreateApplicationBuilder();
        fwBuilder.Services.AddDcOsFramework<NoopScheduler>(o =>
        {
            o.Master = master.LocalEndPoint!;
            o.Framework = new FrameworkInfo { Name = "first" };
        });
        fwBuilder.Services.AddDcOsFramework<OtherScheduler>(o =>
        {
            o.Master = master.LocalEndPoint!;
            o.Framework = new FrameworkInfo { Name = "second", Roles = ["batch"] };
        });
        using var fwHost = fwBuilder.Build();
        await fwHost.StartAsync();
        var first = fwHost.Services.GetFrameworkClient<NoopScheduler>();
        var second = fwHost.Services.GetFrameworkClient<OtherScheduler>();
        await Task.WhenAll(first.Subscribed, second.Subscribed).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.NotSame(first, second);
        Assert.NotEqual(first.FrameworkId, second.FrameworkId);
        Assert.Same(first, fwHost.Services.GetRequiredService<IFrameworkClient>());
        var frameworks = (await master.GetFrameworksAsync()).OrderBy(f => f.Info.Name).ToList();
        Assert.Equal(["first", "second"], frameworks.Select(f => f.Info.Name));
        Assert.Equal(["batch"], frameworks[1].Info.Roles);
        Assert.All(frameworks, f => Assert.True(f.Connected));
        await fwHost.StopAsync();
        await host.StopAsync();
    }

    [Fact]
    public void Hosting_the_same_scheduler_type_twice_is_refused_naming_it()
    {
        var services = new ServiceCollection();
        services.AddDcOsFramework<NoopScheduler>(o => o.Framework = new FrameworkInfo { Name = "one" });
        var e = Assert.Throws<InvalidOperationException>(() => services.AddDcOsFramework<NoopScheduler>(o => o.Framework = new FrameworkInfo { Name = "two" }));
        Assert.Contains(nameof(NoopScheduler), e.Message);
    }

    [Fact]
    public async Task Invalid_framework_options_fail_the_host_at_start_naming_the_option()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDcOsFramework<NoopScheduler>(o => o.ReconnectInitialDelay = TimeSpan.Zero);
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => host.StartAsync());
        Assert.Contains("ReconnectInitialDelay", e.Message);
    }

    [Fact]
    public async Task Invalid_master_options_fail_the_host_at_start_naming_the_option()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDcOsMaster(o => o.AllocationInterval = TimeSpan.Zero);
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("AllocationInterval", e.Message);
    }
}
