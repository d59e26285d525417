using DcOs.Core;

namespace DcOs.Simulation;

/// <summary>A task a simulated agent holds, with the latest state it produced (sent or not).</summary>
/// <param name="Framework">The task's framework.</param>
/// <param name="Id">The task.</param>
/// <param name="State">Its latest state.</param>
/// <param name="PendingUpdates">Its updates not acknowledged yet.</param>
public readonly record struct SimulatedTask(FrameworkId Framework, TaskId Id, TaskState State, int PendingUpdates);
