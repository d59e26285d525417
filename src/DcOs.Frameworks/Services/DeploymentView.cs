namespace DcOs.Frameworks.Services;

/// <summary>
/// A change being rolled out to one app (Marathon's deployment): created by every add, update, scale and restart, done
/// once the wanted instances of the target version run and passed their health check, and until then cancellable
/// (rolled back to what the app was) or replaced by a forced change.
/// </summary>
/// <param name="Id">The deployment's id.</param>
/// <param name="AppId">The app it changes.</param>
/// <param name="Action">Marathon's action: StartApplication, ScaleApplication or RestartApplication (update and restart).</param>
/// <param name="FromVersion">The app's version before (0 for a new app).</param>
/// <param name="ToVersion">The version being rolled out.</param>
/// <param name="Rollback">Whether it undoes a cancelled deployment.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="InstancesWanted">Instances of <paramref name="ToVersion"/> it waits for.</param>
/// <param name="InstancesReady">Instances of <paramref name="ToVersion"/> running and, with a health check, healthy.</param>
/// <param name="OldInstances">Instances of other versions still to be replaced.</param>
public sealed record DeploymentView(
    string Id, string AppId, string Action, int FromVersion, int ToVersion, bool Rollback, DateTimeOffset CreatedAt,
    int InstancesWanted, int InstancesReady, int OldInstances);

/// <summary>One stored version of an app's definition.</summary>
/// <param name="Version">The version number (task ids carry it).</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="Definition">The definition (its instance count as last scaled in that version).</param>
public sealed record AppVersion(int Version, DateTimeOffset CreatedAt, AppDefinition Definition);
