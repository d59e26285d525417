using DcOs.Core;

namespace DcOs.Scheduling.Allocation;

/// <summary>One result of an allocation round: these resources of this agent go to this framework in this role.</summary>
internal readonly record struct AllocationDecision(int AgentSlot, int Framework, string Role, Resources Resources);
