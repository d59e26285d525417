namespace DcOs.Frameworks.Services;

/// <summary>An app as the services framework sees it now.</summary>
/// <param name="Definition">Its current definition.</param>
/// <param name="Version">Its version, raised by every change that replaces instances (update, restart).</param>
/// <param name="TasksRunning">Instances running.</param>
/// <param name="TasksHealthy">Running instances not failing their health check.</param>
/// <param name="TasksStaged">Instances launched and not yet running.</param>
/// <param name="Deploying">Whether instances are still to be launched, replaced or killed.</param>
/// <param name="Tasks">Its active instances.</param>
/// <param name="TasksUnreachable">Instances whose agent is unreachable (counted until inactiveAfterSeconds, then replaced).</param>
/// <param name="Message">Why the app has fewer instances than it wants, or that some are unreachable; null when neither.</param>
/// <param name="Deployment">The deployment under way, or null once the app is deployed.</param>
public sealed record AppView(AppDefinition Definition, int Version, int TasksRunning, int TasksHealthy, int TasksStaged, bool Deploying, IReadOnlyList<AppTaskView> Tasks, int TasksUnreachable, string? Message, DeploymentView? Deployment);
