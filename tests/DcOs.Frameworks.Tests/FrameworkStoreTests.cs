using DcOs.Core;
using DcOs.Frameworks.Jobs;
using DcOs.Frameworks.Services;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace DcOs.Frameworks.Tests;

/// <summary>The frameworks' state in a real SQLite file: what a restarted process finds, and what a refused write leaves.</summary>
public sealed class FrameworkStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("dcos-fwstore-");

    private string Path => System.IO.Path.Combine(_dir.FullName, "frameworks.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task A_restarted_process_finds_its_framework_ids_apps_and_jobs()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using (var store = FrameworkStores.Sqlite(Path))
        {
            var services = new ServicesFramework(store, time, Optimizers.On(time));
            using var jobs = new JobsFramework(store, time, Optimizers.On(time));
            Assert.True(services.SavedId.IsEmpty);
            await services.SubscribedAsync(new RecordingDriver(), new FrameworkId("run1-0001"), reconnected: false);
            await jobs.SubscribedAsync(new RecordingDriver(), new FrameworkId("run1-0002"), reconnected: false);
            services.Add(new AppDefinition { Id = "/team/web", Cmd = "sleep 60", Cpus = 0.1, Mem = 32, Instances = 2 });
            jobs.Add(new JobDefinition { Id = "nightly", Run = new JobRunSpec { Cmd = "true" }, Schedule = "0 3 * * *" });
        }

        using var reopened = FrameworkStores.Sqlite(Path);
        var again = new ServicesFramework(reopened, time, Optimizers.On(time));
        using var jobsAgain = new JobsFramework(reopened, time, Optimizers.On(time));
        Assert.Equal("run1-0001", again.SavedId.Value);
        Assert.Equal("run1-0002", jobsAgain.SavedId.Value);
        Assert.Equal(2, Assert.Single(again.List()).Definition.Instances);
        Assert.Equal("0 3 * * *", Assert.Single(jobsAgain.List()).Job.Schedule);
    }

    [Fact]
    public void A_store_that_refuses_writes_leaves_the_framework_as_it_was()
    {
        using var store = new RefusingStore();
        var services = new ServicesFramework(store, TimeProvider.System, Optimizers.On(TimeProvider.System));
        using var jobs = new JobsFramework(store, TimeProvider.System, Optimizers.On(TimeProvider.System));

        store.Refuse = true;
        Assert.Throws<FrameworkStoreException>(() => services.Add(new AppDefinition { Id = "/web", Cmd = "sleep 1", Cpus = 0.1, Mem = 32 }));
        Assert.Throws<FrameworkStoreException>(() => jobs.Add(new JobDefinition { Id = "once", Run = new JobRunSpec { Cmd = "true" } }));
        Assert.Empty(services.List());
        Assert.Empty(jobs.List());

        store.Refuse = false;
        services.Add(new AppDefinition { Id = "/web", Cmd = "sleep 1", Cpus = 0.1, Mem = 32 });
        store.Refuse = true;
        Assert.Throws<FrameworkStoreException>(() => services.Scale("web", 5, force: true));
        Assert.Throws<FrameworkStoreException>(() => services.Remove("web"));
        Assert.Equal(1, Assert.Single(services.List()).Definition.Instances);
    }

    [Fact]
    public async Task Instances_that_cannot_be_stored_are_not_launched_and_launch_once_the_store_writes_again()
    {
        using var store = new RefusingStore();
        using var services = new ServicesFramework(store, TimeProvider.System, Optimizers.On(TimeProvider.System));
        var driver = new RecordingDriver();
        await services.SubscribedAsync(driver, driver.FrameworkId, reconnected: false);
        await driver.EndReconciliationAsync(services);
        services.Add(new AppDefinition { Id = "/web", Cmd = "sleep 1", Cpus = 0.1, Mem = 32, Instances = 2 });

        store.Refuse = true;
        // The callback fails (the SDK then declines the offers and reports why): nothing launched, nothing counted.
        await Assert.ThrowsAsync<FrameworkStoreException>(() => services.OffersAsync(driver, [RecordingDriver.OfferOn("a1")]));
        Assert.Empty(driver.Accepted);
        Assert.Empty(Assert.Single(services.List()).Tasks);

        store.Refuse = false;
        await services.OffersAsync(driver, [RecordingDriver.OfferOn("a1")]);
        Assert.Equal(2, driver.Launched.Count());
        Assert.Equal(2, store.All("instance").Count);
    }

    /// <summary>A store in memory that refuses writes on demand, as a full disk makes SQLite do.</summary>
    private sealed class RefusingStore : IFrameworkStore
    {
        private readonly IFrameworkStore _inner = FrameworkStores.InMemory();

        public bool Refuse { get; set; }

        public void Write(IReadOnlyList<FrameworkStoreWrite> writes)
        {
            if (Refuse && writes.Count > 0) throw new FrameworkStoreException($"could not save {writes[0].Kind} '{writes[0].Id}': database or disk is full", new IOException("disk full"));
            _inner.Write(writes);
        }

        public string? Get(string kind, string id) => _inner.Get(kind, id);

        public IReadOnlyList<string> All(string kind) => _inner.All(kind);

        public void Dispose() => _inner.Dispose();

    }
}
