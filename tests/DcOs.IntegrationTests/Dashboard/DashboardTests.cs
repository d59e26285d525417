using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DcOs.IntegrationTests.Dashboard;

/// <summary>
/// The sample master's web dashboard in a real headless Chromium (the Debian package chromium, driven by Playwright
/// with the system browser; Playwright downloads nothing): the sample master runs as a real process with three local
/// agents, and the test does what an operator does in the browser.
/// </summary>
public sealed class DashboardTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);
    private const float AgentsTimeoutMs = 90_000;
    private const float TasksTimeoutMs = 90_000;

    [Fact]
    public async Task Operator_sees_the_agents_then_adds_scales_and_removes_an_app_through_the_dashboard()
    {
        var chromium = FindChromium();
        if (chromium is null) Assert.Skip("no Chromium installed: install the Debian package chromium (bash .ci/run does)");

        var root = RepositoryRoot();
        var artifacts = Path.Combine(root, "artifacts", "test-results");
        Directory.CreateDirectory(artifacts);
        var dataDir = Directory.CreateTempSubdirectory("dcos-dashboard-");
        SampleMasterProcess? master = null;
        try
        {
            master = await SampleMasterProcess.StartAsync(SampleMasterDll(root), dataDir.FullName, localAgents: 3);
            using var http = new HttpClient { BaseAddress = master.Url, Timeout = TimeSpan.FromSeconds(10) };
            var index = await http.GetAsync("/");
            Assert.True(index.IsSuccessStatusCode,
                $"GET / answered {(int)index.StatusCode}: the sample master does not serve wwwroot/index.html " +
                "(its build output must contain wwwroot; see samples/DcOs.SampleMaster)\n" + master.Output);

            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
            page.SetDefaultTimeout(30_000);
            var pageErrors = new List<string>();
            page.PageError += (_, error) => pageErrors.Add(error);
            page.Console += (_, message) =>
            {
                if (message.Type == "error") pageErrors.Add(message.Text);
            };

            try
            {
                await page.GotoAsync(master.Url.ToString());

                // Nodes: the three local agents, with the ids the API gives.
                await page.GetByTestId("tab-nodes").ClickAsync();
                var agentRows = page.GetByTestId("agent-row");
                await Expect(agentRows).ToHaveCountAsync(3, new() { Timeout = AgentsTimeoutMs });
                var agents = await http.GetFromJsonAsync<JsonElement>("/api/agents");
                var apiIds = agents.EnumerateArray().Select(a => a.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();
                var shownIds = (await page.GetByTestId("agent-id").AllInnerTextsAsync()).Select(t => t.Trim()).Order(StringComparer.Ordinal).ToList();
                Assert.Equal(3, apiIds.Count);
                Assert.Equal(apiIds, shownIds);

                // Services: add an app through the form; both instances run.
                await page.GetByTestId("tab-services").ClickAsync();
                await page.GetByTestId("app-id-input").FillAsync("/e2e");
                await page.GetByTestId("app-cmd-input").FillAsync("echo e2e-started; sleep 600");
                await page.GetByTestId("app-cpus-input").FillAsync("0.1");
                await page.GetByTestId("app-mem-input").FillAsync("32");
                await page.GetByTestId("app-instances-input").FillAsync("2");
                await page.GetByTestId("app-add-button").ClickAsync();
                var app = page.Locator("[data-testid='app-row'][data-app-id='/e2e']");
                await Expect(app).ToHaveCountAsync(1);
                await Expect(app.GetByTestId("app-instances")).ToHaveTextAsync("2/2", new() { Timeout = TasksTimeoutMs });

                // Tasks: its two tasks run, and a task's log tail shows what it printed.
                await app.GetByTestId("app-tasks").ClickAsync();
                var running = page.Locator("[data-testid='task-row'][data-app-id='/e2e'][data-state='TASK_RUNNING']");
                await Expect(running).ToHaveCountAsync(2, new() { Timeout = TasksTimeoutMs });
                await running.First.GetByTestId("task-logs").ClickAsync();
                await Expect(page.GetByTestId("task-log-text")).ToContainTextAsync("e2e-started", new() { Timeout = TasksTimeoutMs });

                // Scale to three through the row's input.
                await page.GetByTestId("tab-services").ClickAsync();
                await app.GetByTestId("app-scale-input").FillAsync("3");
                await app.GetByTestId("app-scale-button").ClickAsync();
                await Expect(app.GetByTestId("app-instances")).ToHaveTextAsync("3/3", new() { Timeout = TasksTimeoutMs });
                await Expect(page.GetByTestId("action-error")).ToBeHiddenAsync();

                var screenshot = Path.Combine(artifacts, "dashboard.png");
                await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
                TestContext.Current.AddAttachment("dashboard.png", await File.ReadAllBytesAsync(screenshot), "image/png");
                TestContext.Current.SendDiagnosticMessage($"dashboard screenshot: {screenshot}");

                // Jobs: add one from JSON, run it now, and its history shows the successful run.
                await page.GetByTestId("tab-jobs").ClickAsync();
                await page.GetByTestId("job-add-panel").Locator("summary").ClickAsync();
                await page.GetByTestId("job-json-input").FillAsync("""{ "id": "e2e-job", "run": { "cmd": "echo job-ran", "cpus": 0.1, "mem": 32 } }""");
                await page.GetByTestId("job-add-button").ClickAsync();
                var job = page.Locator("[data-testid='job-row'][data-job-id='e2e-job']");
                await job.GetByTestId("job-run").ClickAsync();
                await Expect(page.GetByTestId("job-history")).ToBeVisibleAsync();
                await Expect(page.GetByTestId("job-run-row").First).ToContainTextAsync("SUCCESS", new() { Timeout = TasksTimeoutMs });

                // Remove the app (confirmed in the dialog); its row goes away.
                await page.GetByTestId("tab-services").ClickAsync();
                await app.GetByTestId("app-remove").ClickAsync();
                await page.GetByTestId("confirm-ok").ClickAsync();
                await Expect(app).ToHaveCountAsync(0);
                Assert.Empty(pageErrors);

                // With the master gone, the page says so in its error banner.
                master.Stop();
                await Expect(page.GetByTestId("error-banner")).ToContainTextAsync("Master API unreachable", new() { Timeout = 15_000 });
            }
            catch
            {
                var failure = Path.Combine(artifacts, "dashboard-failure.png");
                await page.ScreenshotAsync(new() { Path = failure, FullPage = true });
                TestContext.Current.SendDiagnosticMessage($"failure screenshot: {failure}; page errors: {string.Join(" | ", pageErrors)}");
                TestContext.Current.SendDiagnosticMessage("sample master output:\n" + master.Output);
                throw;
            }
        }
        finally
        {
            master?.Dispose();
            DeleteDirectory(dataDir.FullName);
        }
    }

    private static string? FindChromium()
    {
        var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured)) return configured;
        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DcOs.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("DcOs.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The sample master built in the configuration this test assembly was built in (the project reference builds it).</summary>
    private static string SampleMasterDll(string root)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.Combine(root, "samples", "DcOs.SampleMaster", "bin", configuration, "net10.0", "DcOs.SampleMaster.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"the sample master is not built: {dll}");
    }

    private static void DeleteDirectory(string path)
    {
        // Agents may still be closing files for a moment after their process tree was killed.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                Thread.Sleep(250);
            }
            catch (UnauthorizedAccessException) when (attempt < 20)
            {
                Thread.Sleep(250);
            }
        }
    }

    /// <summary>The sample master as a real process; its output is kept for failure messages.</summary>
    private sealed class SampleMasterProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private SampleMasterProcess(Process process, Uri url)
        {
            _process = process;
            Url = url;
        }

        public Uri Url { get; }

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        public static async Task<SampleMasterProcess> StartAsync(string dll, string dataDir, int localAgents)
        {
            var port = FreePort();
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = dataDir,
            };
            foreach (var arg in new[] { dll, "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--master-port", "0", "--data-dir", dataDir, "--local-agents", localAgents.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(arg);
            }
            info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            info.Environment["DOTNET_NOLOGO"] = "1";

            var started = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var master = new SampleMasterProcess(process, new Uri($"http://127.0.0.1:{port}/"));
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                master.Append(e.Data);
                // "dcos: api http://127.0.0.1:PORT master ... " once the API listens.
                if (e.Data.StartsWith("dcos: api ", StringComparison.Ordinal))
                {
                    var url = e.Data.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
                    started.TrySetResult(new Uri(url.TrimEnd('/') + "/"));
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) master.Append(e.Data);
            };
            process.Exited += (_, _) => started.TrySetException(new InvalidOperationException("the sample master exited before it started:\n" + master.Output));
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                var url = await started.Task.WaitAsync(Startup);
                Assert.Equal(master.Url, url);
                return master;
            }
            catch (TimeoutException)
            {
                master.Dispose();
                throw new TimeoutException($"the sample master printed no 'dcos: api' line within {Startup.TotalSeconds} s:\n{master.Output}");
            }
            catch
            {
                master.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Stops the master as a user does (SIGTERM: it stops its local agents, which kill their tasks and remove their
        /// cgroups); kills it and everything it started if that does not finish in 20 s.
        /// </summary>
        public void Stop()
        {
            try
            {
                if (!_process.HasExited) _ = Posix.Kill(_process.Id, Posix.SigTerm);
                if (!_process.WaitForExit(20_000)) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        public void Dispose()
        {
            Stop();
            _process.Dispose();
        }

        private void Append(string line)
        {
            lock (_output) _output.AppendLine(line);
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
