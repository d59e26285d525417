using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace DcOs.IntegrationTests.SampleMaster;

/// <summary>
/// The master's data dir on a small tmpfs that the test fills: what an operator meets when the disk is full. The
/// sample master and its local agent are real processes; the agent's work dir is on the ordinary disk.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DiskFullTests
{
    private static void Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {error}");
    }

    /// <summary>Writes zeros until the file system refuses: the disk is full.</summary>
    private static void Fill(string path)
    {
        var chunk = new byte[64 * 1024];
        using var filler = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        try
        {
            while (true) filler.Write(chunk);
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
        // Whatever fit in the last partial block too.
        try
        {
            while (true) filler.Write(chunk, 0, 512);
        }
        catch (IOException)
        {
        }
    }

    private static Task<HttpResponseMessage> PostAppAsync(SampleCluster cluster, string id, string cmd, int instances) =>
        cluster.Http.PostAsync("api/apps", new StringContent($$"""{"id": "{{id}}", "cmd": "{{cmd}}", "cpus": 0.1, "mem": 32, "instances": {{instances}}}""", Encoding.UTF8, "application/json"));

    private static async Task<HashSet<string>> AppIdsAsync(SampleCluster cluster) =>
        [.. (await cluster.GetAsync("api/apps")).EnumerateArray().Select(a => a.GetProperty("id").GetString()!)];

    private static int Registrations(string agentLog) =>
        File.Exists(agentLog) ? File.ReadLines(agentLog).Count(l => l.Contains("Registered with the master", StringComparison.Ordinal)) : 0;

    [Fact]
    public async Task A_full_data_dir_gets_503_applies_nothing_causes_no_reconnect_storm_and_loses_nothing()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") Assert.Skip("mounts a tmpfs: Linux, as root (CI runs as root)");
        var root = Directory.CreateTempSubdirectory("dcos-diskfull-");
        // Tasks run as nobody: their sandboxes' parents must be traversable, as a real data dir's are.
        File.SetUnixFileMode(root.FullName, (UnixFileMode)0x1C9); // 0711
        var data = Directory.CreateDirectory(Path.Combine(root.FullName, "data")).FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=16m,mode=0711", "tmpfs", data);
        try
        {
            // The agents' work dirs stay on the ordinary disk: the master's disk is the one that fills.
            Directory.CreateSymbolicLink(Path.Combine(data, "agents"), Directory.CreateDirectory(Path.Combine(root.FullName, "agents")).FullName);
            var agentLog = Path.Combine(root.FullName, "agents", "agent-1", "agent.log");
            var marker = $"{Random.Shared.Next(100000, 999999)}.{Random.Shared.Next(100, 999)}";
            var accepted = new HashSet<string>();
            await using (var cluster = await SampleCluster.StartOnAsync(data, localAgents: 1))
            {
                using (var created = await PostAppAsync(cluster, "/steady", $"exec sleep {marker}", 2))
                    Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                accepted.Add("/steady");
                await cluster.EventuallyAsync(() => Task.FromResult(ProcessTable.Sleeping(marker).Count == 2), TimeSpan.FromSeconds(60), "2 tasks");

                Fill(Path.Combine(data, "filler"));

                // The API: an app either is stored (201) or is refused with 503 and the reason; never 500, never applied.
                string? refused = null;
                for (var i = 0; i < 100 && refused is null; i++)
                {
                    var id = $"/while-full-{i}";
                    using var answer = await PostAppAsync(cluster, id, "sleep 1", 0);
                    if (answer.StatusCode == HttpStatusCode.Created)
                    {
                        accepted.Add(id);
                        continue;
                    }
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
                    Assert.Contains("could not save", await answer.Content.ReadAsStringAsync());
                    Assert.True(answer.Headers.RetryAfter is not null, "a 503 says when to retry");
                    refused = id;
                }
                Assert.NotNull(refused);
                Assert.Equal(accepted, await AppIdsAsync(cluster));

                // The engine: each task's death is a status update it must store. Once a write fails it stops acting
                // and says why, rather than run ahead of its disk.
                var registrationsBefore = Registrations(agentLog);
                string tasksAnswer = "";
                await cluster.EventuallyAsync(async () =>
                {
                    foreach (var pid in ProcessTable.Sleeping(marker)) _ = Posix.Kill(pid, Posix.SigKill);
                    using var tasks = await cluster.Http.GetAsync("api/tasks");
                    tasksAnswer = await tasks.Content.ReadAsStringAsync();
                    return tasks.StatusCode == HttpStatusCode.ServiceUnavailable;
                }, TimeSpan.FromSeconds(90), "the master to stop acting on its full store");
                Assert.Contains("store failed", tasksAnswer);

                // An observation window over the outage: the agent keeps its connection (no reconnect loop).
                var window = Stopwatch.StartNew();
                while (window.Elapsed < TimeSpan.FromSeconds(8))
                {
                    using var during = await cluster.Http.GetAsync("api/agents");
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
                    await Task.Delay(500);
                }
                Assert.Equal(registrationsBefore, Registrations(agentLog));

                // Space returns: the master resumes from its store by itself, the agent registers once, the app
                // converges, and the refused app can be added now.
                File.Delete(Path.Combine(data, "filler"));
                await cluster.EventuallyAsync(async () =>
                {
                    using var agents = await cluster.Http.GetAsync("api/agents");
                    return agents.IsSuccessStatusCode && JsonDocument.Parse(await agents.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Any(a => a.GetProperty("status").GetString() == "Active");
                }, TimeSpan.FromSeconds(60), "the master to resume and the agent to come back");
                Assert.InRange(Registrations(agentLog) - registrationsBefore, 1, 2);
                await cluster.EventuallyAsync(() => Task.FromResult(ProcessTable.Sleeping(marker).Count == 2), TimeSpan.FromSeconds(90), "2 tasks again");
                using (var again = await PostAppAsync(cluster, refused!, "sleep 1", 0))
                    Assert.Equal(HttpStatusCode.Created, again.StatusCode);
                accepted.Add(refused!);
            }

            // A restart on the same data dir: every app that was accepted, and only those.
            await using (var restarted = await SampleCluster.StartOnAsync(data, localAgents: 1))
            {
                Assert.Equal(accepted, await AppIdsAsync(restarted));
                await restarted.EventuallyAsync(() => Task.FromResult(ProcessTable.Sleeping(marker).Count == 2), TimeSpan.FromSeconds(90), "the 2 tasks after the restart");
            }
        }
        finally
        {
            // The agents' work dirs are outside the data dir here: their tasks are ended with the test's root.
            ProcessTable.KillUnder(root.FullName);
            Run("umount", "--lazy", data);
            root.Delete(recursive: true);
        }
    }
}
