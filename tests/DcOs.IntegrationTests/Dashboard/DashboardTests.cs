using DcOs.IntegrationTests.SampleMaster;
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
    private const float AgentsTimeoutMs = 90_000;
    private const float TasksTimeoutMs = 90_000;

    [Fact]
    public async Task Operator_sees_the_agents_then_adds_scales_and_removes_an_app_through_the_dashboard()
    {
        var chromium = FindChromium();
        if (chromium is null) Assert.Skip("no Chromium installed: install the Debian package chromium (bash .ci/run does)");

        var artifacts = Path.Combine(SampleCluster.RepositoryRoot(), "artifacts", "test-results");
        Directory.CreateDirectory(artifacts);
        await using var master = await SampleCluster.StartAsync(localAgents: 3);
        var index = await master.Http.GetAsync("/");
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
            await page.GotoAsync(master.Api.ToString());
            // The operator logs in with the admin token the master wrote into its data dir.
            await page.GetByTestId("login-token-input").FillAsync(master.AdminToken);
            await page.GetByTestId("login-button").ClickAsync();
            await Expect(page.GetByTestId("login-form")).ToHaveAttributeAsync("data-state", "signed-in");

            // Nodes: the three local agents, with the ids the API gives.
            await page.GetByTestId("tab-nodes").ClickAsync();
            var agentRows = page.GetByTestId("agent-row");
            await Expect(agentRows).ToHaveCountAsync(3, new() { Timeout = AgentsTimeoutMs });
            var agents = await master.GetAsync("api/agents");
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

            // Overview: the bill against first-fit on the same tasks, and what consolidation would save (the three
            // cheap instances share the cheapest agent, so nothing: the plan says so).
            await page.GetByTestId("tab-overview").ClickAsync();
            await Expect(page.GetByTestId("cost-firstfit")).ToContainTextAsync("first-fit would pay", new() { Timeout = TasksTimeoutMs });
            await Expect(page.GetByTestId("cost-idle")).ToContainTextAsync("on 2 machine(s) running nothing");
            await Expect(page.GetByTestId("cost-consolidation")).ToContainTextAsync("consolidation: no move of up to 10 instances lowers the bill", new() { Timeout = TasksTimeoutMs });
            await page.GetByTestId("tab-services").ClickAsync();

            // The app's detail: real usage from the agents beside allocation, its instances, versions and definition.
            await app.GetByTestId("app-detail-button").ClickAsync();
            var detail = page.GetByTestId("app-detail");
            await Expect(detail).ToBeVisibleAsync();
            await Expect(detail.GetByTestId("app-detail-task")).ToHaveCountAsync(3);
            await Expect(detail.GetByTestId("app-usage")).ToContainTextAsync("used by 3 instance(s)", new() { Timeout = TasksTimeoutMs });
            await Expect(detail.GetByTestId("task-mem-used").First).ToContainTextAsync("MiB");
            await Expect(detail.GetByTestId("app-version-row")).ToHaveCountAsync(1);
            await Expect(detail.GetByTestId("app-edit-json")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"instances\":\\s*3"));

            // Edit the definition as JSON: a version whose instances never pass their health check, so the rolling
            // upgrade cannot finish and keeps the old instances; the deployment shows its progress and is cancelled,
            // which rolls back. (Instances that merely exit at once are not enough: without a check an instance counts
            // as ready while it runs, as in Marathon, and three new ones running for an instant let all old ones go.)
            await page.EvalOnSelectorAsync("[data-testid='app-edit-json']", "el => { const d = JSON.parse(el.value); d.cmd = 'echo e2e-v2; sleep 600'; d.healthChecks = [{ protocol: 'COMMAND', command: { value: 'exit 1' }, delaySeconds: 0, intervalSeconds: 1, gracePeriodSeconds: 600 }]; el.value = JSON.stringify(d, null, 2); el.dispatchEvent(new Event('input')); }");
            await detail.GetByTestId("app-edit-save").ClickAsync();
            await Expect(detail.GetByTestId("app-deployment-text")).ToContainTextAsync("version 1 → 2", new() { Timeout = TasksTimeoutMs });
            await Expect(detail.GetByTestId("app-deployment-text")).ToContainTextAsync("3 old left");
            await Expect(detail.GetByTestId("app-version-row")).ToHaveCountAsync(2);
            await detail.GetByTestId("app-deployment-cancel").ClickAsync();
            await page.GetByTestId("confirm-ok").ClickAsync();
            await Expect(detail.GetByTestId("app-deployment")).ToBeHiddenAsync(new() { Timeout = TasksTimeoutMs });
            var rolledBack = await master.GetAsync("api/apps/e2e");
            Assert.Equal(1, rolledBack.GetProperty("version").GetInt32());
            Assert.Equal("echo e2e-started; sleep 600", rolledBack.GetProperty("cmd").GetString());
            Assert.Equal(3, rolledBack.GetProperty("tasks").EnumerateArray().Count(t => t.GetProperty("version").GetInt32() == 1 && t.GetProperty("state").GetString() == "TASK_RUNNING"));
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
            Assert.True(pageErrors.Count == 0, "page errors: " + string.Join(" | ", pageErrors));

            // With the master gone, the page says so in its error banner.
            await master.StopAsync();
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

    private static string? FindChromium()
    {
        var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured)) return configured;
        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
    }
}
