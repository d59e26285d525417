using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>What is left on each machine while a plan is built: free capacity, tasks placed, whether it is in use.</summary>
internal sealed class MachineState
{
    private readonly CompiledProblem _p;

    public MachineState(CompiledProblem p)
    {
        _p = p;
        Free = (long[])p.InitialFree.Clone();
        NonScalar = (Resources?[]?)p.InitialNonScalar?.Clone();
        Load = new int[p.M];
        Used = new bool[p.M];
    }

    private MachineState(MachineState other)
    {
        _p = other._p;
        Free = (long[])other.Free.Clone();
        NonScalar = (Resources?[]?)other.NonScalar?.Clone();
        Load = (int[])other.Load.Clone();
        Used = (bool[])other.Used.Clone();
    }

    public long[] Free { get; }

    public Resources?[]? NonScalar { get; }

    /// <summary>Tasks of this problem placed on each machine.</summary>
    public int[] Load { get; }

    public bool[] Used { get; }

    public MachineState Clone() => new(this);

    public int Fit(int c, int m) => _p.Fit(c, Free, m, NonScalar);

    /// <summary>Whether the machine was idle and still has nothing of this problem on it.</summary>
    public bool IsIdle(int m) => _p.InitiallyIdle[m] && !Used[m];

    public bool[] IdleNow()
    {
        var idle = new bool[_p.M];
        for (var m = 0; m < idle.Length; m++) idle[m] = IsIdle(m);
        return idle;
    }

    public void Place(int c, int m)
    {
        var d = _p.D;
        var demandBase = c * d;
        var freeBase = m * d;
        for (var i = 0; i < d; i++) Free[freeBase + i] -= _p.ClassDemand[demandBase + i];
        if (_p.Shapes[_p.Classes[c].Shape].NonScalar is { } ns) NonScalar![m] = NonScalar[m]!.Subtract(ns);
        Load[m]++;
        Used[m] = true;
    }
}
