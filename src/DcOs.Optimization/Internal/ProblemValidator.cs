using System.Globalization;
using DcOs.Core;
using DcOs.Core.Placement;

namespace DcOs.Optimization.Internal;

/// <summary>
/// Checks a problem before any solver sees it, so bad numbers fail loudly with the field named instead of turning into
/// a silently wrong plan (a NaN cost compares false with everything).
/// </summary>
internal static class ProblemValidator
{
    public const int MaxPriority = 1000;

    public static void ValidateOptions(OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Algorithm)) Fail("options.algorithm", $"unknown algorithm {(int)options.Algorithm}");
        if (options.TimeLimit <= TimeSpan.Zero) Fail("options.timeLimit", $"must be positive (got {options.TimeLimit})");
        if (options.TimeLimit > TimeSpan.FromDays(1)) Fail("options.timeLimit", $"must be at most one day (got {options.TimeLimit})");
        if (options.Workers is < 1 or > 64) Fail("options.workers", $"must be between 1 and 64 (got {options.Workers})");
        FiniteNonNegative(options.RelativeGapLimit, "options.relativeGapLimit");
        if (options.RelativeGapLimit >= 1) Fail("options.relativeGapLimit", "must be below 1");
        if (options.DefaultDuration <= TimeSpan.Zero) Fail("options.defaultDuration", $"must be positive (got {options.DefaultDuration})");
        FiniteNonNegative(options.WorkUnitsPerHour, "options.workUnitsPerHour");
        if (options.WorkUnitsPerHour == 0) Fail("options.workUnitsPerHour", "must be greater than zero");
        if (options.CpSatMaxPairs < 0) Fail("options.cpSatMaxPairs", "must not be negative");
        if (options.TimeProvider is null) Fail("options.timeProvider", "is required");
    }

    public static void Validate(PlacementProblem problem, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ValidateObjective(problem.Objective);
        if (problem.Tasks is null) Fail("tasks", "is required");
        if (problem.Machines is null) Fail("machines", "is required");
        if (problem.GroupPlacements is null) Fail("groupPlacements", "is required");

        var ids = new Dictionary<TaskId, int>(problem.Tasks.Count);
        for (var i = 0; i < problem.Tasks.Count; i++)
        {
            var task = problem.Tasks[i];
            var field = $"tasks[{i}]";
            if (task is null) Fail(field, "is required");
            if (task.Spec is null) Fail(field + ".spec", "is required");
            try
            {
                task.Spec.Validate();
            }
            catch (ValidationException e)
            {
                // TaskSpec names its fields "task.x"; here the task lives at tasks[i].spec.
                var inner = e.Field.StartsWith("task", StringComparison.Ordinal) ? e.Field["task".Length..] : "." + e.Field;
                throw new ValidationException(field + ".spec" + inner, e.Reason);
            }
            if (!ids.TryAdd(task.Spec.Id, i)) Fail(field + ".spec.id", $"\"{task.Spec.Id}\" repeats tasks[{ids[task.Spec.Id]}]");
            if (task.Duration is { } d && d <= TimeSpan.Zero) Fail(field + ".duration", $"must be positive (got {d})");
            if (task.WorkUnits is { } w)
            {
                FiniteNonNegative(w, field + ".workUnits");
                if (w == 0) Fail(field + ".workUnits", "must be greater than zero");
                if (task.Duration is not null) Fail(field + ".workUnits", "give either a duration or work units, not both");
            }
            if (task.Deadline is { } deadline && deadline <= now)
                Fail(field + ".deadline", $"is in the past ({Text(deadline)}; now is {Text(now)})");
            if (task.Priority is < 0 or > MaxPriority) Fail(field + ".priority", $"must be between 0 and {MaxPriority} (got {task.Priority})");
            if (task.Group is not null && string.IsNullOrWhiteSpace(task.Group)) Fail(field + ".group", "must not be empty (use null for no group)");
        }

        var agents = new Dictionary<AgentId, int>(problem.Machines.Count);
        for (var m = 0; m < problem.Machines.Count; m++)
        {
            var machine = problem.Machines[m];
            var field = $"machines[{m}]";
            if (machine is null) Fail(field, "is required");
            if (!agents.TryAdd(machine.AgentId, m)) Fail(field + ".agentId", $"\"{machine.AgentId}\" repeats machines[{agents[machine.AgentId]}]");
            ValidateCost(machine.Cost, field + ".cost");
        }

        foreach (var (group, placed) in problem.GroupPlacements)
        {
            if (string.IsNullOrWhiteSpace(group)) Fail("groupPlacements", "has an empty group name");
            if (placed is null) Fail($"groupPlacements[{group}]", "is required");
            for (var i = 0; i < placed.Count; i++)
            {
                if (placed[i] is null) Fail($"groupPlacements[{group}][{i}]", "is required");
            }
        }
    }

    private static void ValidateObjective(PlacementObjective objective)
    {
        if (objective is null) Fail("objective", "is required");
        FiniteNonNegative(objective.CostWeight, "objective.costWeight");
        FiniteNonNegative(objective.TimeWeight, "objective.timeWeight");
        FiniteNonNegative(objective.PackWeight, "objective.packWeight");
        FiniteNonNegative(objective.SpreadWeight, "objective.spreadWeight");
        if (objective.CostWeight + objective.TimeWeight + objective.PackWeight + objective.SpreadWeight == 0)
            Fail("objective", "needs at least one positive weight");
    }

    /// <summary>
    /// <see cref="CostModel"/> refuses bad values when built; this re-checks so a model from any source (reflection,
    /// a future deserializer) is named at its position in the problem.
    /// </summary>
    private static void ValidateCost(CostModel cost, string field)
    {
        if (cost is null) Fail(field, "is required");
        FiniteNonNegative(cost.MachinePerHour, field + ".machinePerHour");
        foreach (var (name, price) in cost.PerUnitPerHour) FiniteNonNegative(price, $"{field}.perUnitPerHour.{name}");
        FiniteNonNegative(cost.SpeedFactor, field + ".speedFactor");
        if (cost.SpeedFactor == 0) Fail(field + ".speedFactor", "must be greater than zero");
        if (cost.GpuSpeedFactor is { } gpu)
        {
            FiniteNonNegative(gpu, field + ".gpuSpeedFactor");
            if (gpu == 0) Fail(field + ".gpuSpeedFactor", "must be greater than zero");
        }
    }

    private static void FiniteNonNegative(double value, string field)
    {
        if (double.IsNaN(value)) Fail(field, "must be a number, not NaN");
        if (double.IsInfinity(value)) Fail(field, "must be finite");
        if (value < 0) Fail(field, $"must not be negative (got {value.ToString(CultureInfo.InvariantCulture)})");
    }

    private static string Text(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string field, string reason) => throw new ValidationException(field, reason);
}
