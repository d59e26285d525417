using System.Net;

namespace DcOs.Cli.Tests;

public sealed class DeploymentCommandTests
{
    private const string Upgrade = """
        [{"id": "d-1", "version": 2, "fromVersion": 1, "rollback": false, "createdAt": "2026-12-01T12:00:00Z",
          "affectedApps": ["/web"], "steps": [{"actions": [{"action": "RestartApplication", "app": "/web"}]}],
          "currentActions": [{"action": "RestartApplication", "app": "/web"}], "currentStep": 1, "totalSteps": 1,
          "progress": {"instancesWanted": 3, "instancesReady": 1, "oldInstances": 2}}]
        """;

    [Fact]
    public async Task DeploymentList_ShowsEachDeploymentWithItsProgress()
    {
        var master = new FakeMaster().Get("/api/deployments", Upgrade);

        var result = await CliRunner.Run(master, "deployment", "list");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("d-1", result.Stdout);
        Assert.Contains("RestartApplication", result.Stdout);
        Assert.Contains("1 -> 2", result.Stdout);
        Assert.Contains("1/3", result.Stdout);
    }

    [Fact]
    public async Task DeploymentRollback_CancelsAndNamesTheRollback_AndStopForces()
    {
        var master = new FakeMaster()
            .Delete("/api/deployments/d-1", """{"deploymentId": "d-2", "version": 1}""")
            .Delete("/api/deployments/d-3?force=true", """{"deploymentId": null}""");

        var rollback = await CliRunner.Run(master, "deployment", "rollback", "d-1");
        var stop = await CliRunner.Run(master, "deployment", "stop", "d-3");

        Assert.Equal(0, rollback.ExitCode);
        Assert.Contains("rolling back: deployment d-2 to version 1", rollback.Stdout);
        Assert.Equal(0, stop.ExitCode);
        Assert.Contains("stopped deployment d-3", stop.Stdout);
    }

    [Fact]
    public async Task AppScale_WhileADeploymentRuns_SaysWhyAndForceReplacesIt()
    {
        var master = new FakeMaster()
            .Error("POST", "/api/apps/web/scale", HttpStatusCode.Conflict, "app '/web' is locked by deployment d-1 (RestartApplication to version 2); wait for it, cancel it (DELETE /api/deployments/d-1) or use force=true")
            .Post("/api/apps/web/scale?force=true", SampleData.App(0, 5));

        var refused = await CliRunner.Run(master, "app", "scale", "web", "5", "--no-wait");
        var forced = await CliRunner.Run(master, "app", "scale", "web", "5", "--force", "--no-wait");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("locked by deployment d-1", refused.Stderr);
        Assert.Equal(0, forced.ExitCode);
        Assert.Single(master.Requests, r => r.Uri.Query == "?force=true");
    }
}
