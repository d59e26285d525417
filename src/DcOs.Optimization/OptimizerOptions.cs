using DcOs.Core.Placement;

namespace DcOs.Optimization;

/// <summary>How the optimizer searches: algorithm, limits, clock and defaults for missing estimates.</summary>
public sealed record OptimizerOptions
{
    /// <summary>The defaults: automatic algorithm choice, 5 s CP-SAT limit, 2 workers, deterministic search.</summary>
    public static OptimizerOptions Default { get; } = new();

    /// <summary>Which search to run; <see cref="OptimizerAlgorithm.Auto"/> picks by objective, constraints and size.</summary>
    public OptimizerAlgorithm Algorithm { get; init; } = OptimizerAlgorithm.Auto;

    /// <summary>
    /// CP-SAT's search budget (all its solves together). With <see cref="Deterministic"/> it is CP-SAT's deterministic
    /// time (about seconds of one core), with a wall-clock guard per solve at four times its share (and at least 2 s
    /// more), wide enough that a loaded machine does not cut a solve short and change the plan; otherwise wall-clock time.
    /// </summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>CP-SAT worker threads when <see cref="Deterministic"/> is off (deterministic search uses one).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>
    /// Whether CP-SAT searches deterministically (one worker, a deterministic time limit), so the same input gives
    /// the same plan unless the wall-clock guard ends the search first. The flow and greedy paths are always
    /// deterministic. Off: parallel workers and a wall-clock limit, often faster, not reproducible.
    /// </summary>
    public bool Deterministic { get; init; } = true;

    /// <summary>CP-SAT stops once it proves the plan within this relative gap of the optimum (0 = prove optimality).</summary>
    public double RelativeGapLimit { get; init; }

    /// <summary>Reference duration (at speed 1) assumed for tasks that give neither a duration nor work units.</summary>
    public TimeSpan DefaultDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many work units a machine of speed 1 completes per hour (converts <see cref="PendingTask.WorkUnits"/> to time).</summary>
    public double WorkUnitsPerHour { get; init; } = 1;

    /// <summary>
    /// Largest CP-SAT model over (task class, machine) pairs: <see cref="OptimizerAlgorithm.Auto"/> sends group
    /// constraints and spread to CP-SAT only below it, and CP-SAT builds its per-machine model only below it (above,
    /// it keeps the class relaxation's plan, or the greedy one).
    /// </summary>
    public int CpSatMaxPairs { get; init; } = 50_000;

    /// <summary>The clock for "now": deadlines are checked and completions estimated against it.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
