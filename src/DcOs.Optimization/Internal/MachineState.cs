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
        Gpu = CloneGpu(p.InitialGpuFree);
        Load = new int[p.M];
        Used = new bool[p.M];
    }

    private MachineState(MachineState other)
    {
        _p = other._p;
        Free = (long[])other.Free.Clone();
        NonScalar = (Resources?[]?)other.NonScalar?.Clone();
        Gpu = CloneGpu(other.Gpu);
        Load = (int[])other.Load.Clone();
        Used = (bool[])other.Used.Clone();
    }

    public long[] Free { get; }

    public Resources?[]? NonScalar { get; }

    /// <summary>Free thousandths of each GPU device per machine (see <see cref="CompiledProblem.InitialGpuFree"/>).</summary>
    public int[]?[]? Gpu { get; }

    /// <summary>Tasks of this problem placed on each machine.</summary>
    public int[] Load { get; }

    public bool[] Used { get; }

    public MachineState Clone() => new(this);

    public int Fit(int c, int m) => _p.Fit(c, Free, m, NonScalar, Gpu);

    /// <summary>Whether the machine was idle and still has nothing of this problem on it.</summary>
    public bool IsIdle(int m) => _p.InitiallyIdle[m] && !Used[m];

    public bool[] IdleNow()
    {
        var idle = new bool[_p.M];
        for (var m = 0; m < idle.Length; m++) idle[m] = IsIdle(m);
        return idle;
    }

    /// <summary>
    /// Puts one task of class c on m; returns the positions of the GPU devices it took (null when it takes none). A
    /// solver that plans in aggregate may place a task whose devices do not fit: it takes none, and the device repair
    /// (<see cref="DevicePacking"/>) settles the plan.
    /// </summary>
    public int[]? Place(int c, int m)
    {
        var d = _p.D;
        var demandBase = c * d;
        var freeBase = m * d;
        for (var i = 0; i < d; i++) Free[freeBase + i] -= _p.ClassDemand[demandBase + i];
        if (_p.Shapes[_p.Classes[c].Shape].NonScalar is { } ns) NonScalar![m] = NonScalar[m]!.Subtract(ns);
        Load[m]++;
        Used[m] = true;
        return Gpu is null ? null : _p.ClassGpu[c].Take(Gpu[m], _p.GpuModels![m]);
    }

    /// <summary>Puts one task of class c on m on the given device positions (as an earlier <see cref="Place"/> took them): how a move is undone.</summary>
    public void PlaceOn(int c, int m, int[]? positions)
    {
        Adjust(c, m, -1);
        if (_p.Shapes[_p.Classes[c].Shape].NonScalar is { } ns) NonScalar![m] = NonScalar[m]!.Subtract(ns);
        Load[m]++;
        Used[m] = true;
        if (positions is not null) _p.ClassGpu[c].TakeAt(Gpu![m]!, positions);
    }

    /// <summary>Takes one task of class c, holding the device positions given, off m.</summary>
    public void Remove(int c, int m, int[]? positions)
    {
        Adjust(c, m, +1);
        if (_p.Shapes[_p.Classes[c].Shape].NonScalar is { } ns) NonScalar![m] = NonScalar[m]!.Add(ns);
        Load[m]--;
        Used[m] = Load[m] > 0;
        if (positions is not null) _p.ClassGpu[c].Give(Gpu![m]!, positions);
    }

    private void Adjust(int c, int m, int sign)
    {
        var d = _p.D;
        for (var i = 0; i < d; i++) Free[m * d + i] += sign * _p.ClassDemand[c * d + i];
    }

    private static int[]?[]? CloneGpu(int[]?[]? gpu)
    {
        if (gpu is null) return null;
        var copy = new int[]?[gpu.Length];
        for (var m = 0; m < gpu.Length; m++) copy[m] = (int[]?)gpu[m]?.Clone();
        return copy;
    }
}
