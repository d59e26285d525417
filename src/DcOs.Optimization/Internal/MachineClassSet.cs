using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>
/// Machines that are interchangeable right now (same static key, same free vector, same idleness, and for spread the
/// same load), grouped so the flow has one node per class instead of one per machine.
/// </summary>
internal sealed class MachineClassSet
{
    private MachineClassSet(List<List<int>> members)
    {
        Members = members;
    }

    /// <summary>Machine indices of each class, ascending; classes ordered by their first machine.</summary>
    public List<List<int>> Members { get; }

    public int Count => Members.Count;

    public int Representative(int k) => Members[k][0];

    /// <summary>
    /// Classifies machines for the flow, which sees a machine only through how many tasks of each class fit on it:
    /// machines with the same static key, idleness, (spread) load, non-scalar resources, and the same fit for every
    /// distinct shape in <paramref name="shapeClasses"/> (one class per shape) share a class even when their free
    /// vectors differ, which keeps classes few on a busy cluster. Aggregate capacity must then be summed per machine
    /// (<see cref="TotalFree"/>), not taken from the representative.
    /// </summary>
    public static MachineClassSet BuildByFit(CompiledProblem p, MachineState state, IReadOnlyList<int> shapeClasses, bool byLoad, IEnumerable<int> machines)
    {
        var fits = new long[p.M * shapeClasses.Count];
        var staticKey = p.StaticKeyOfMachine;
        var idle = state.IdleNow();
        foreach (var m in machines)
        {
            for (var s = 0; s < shapeClasses.Count; s++) fits[m * shapeClasses.Count + s] = state.Fit(shapeClasses[s], m);
        }
        return Build(shapeClasses.Count, staticKey, idle, fits, state.NonScalar, byLoad ? state.Load : null, machines, state.Gpu, p.GpuModels);
    }

    /// <summary>Free capacity of each class in each dimension, summed over its machines, at [k * dims + d].</summary>
    public long[] TotalFree(long[] free, int dims)
    {
        var total = new long[Count * dims];
        for (var k = 0; k < Count; k++)
        {
            foreach (var m in Members[k])
            {
                for (var d = 0; d < dims; d++) total[k * dims + d] += free[m * dims + d];
            }
        }
        return total;
    }

    /// <summary>Classifies <paramref name="machines"/> (ascending indices) by the given state.</summary>
    public static MachineClassSet Build(
        int dims, int[] staticKey, bool[] idle, long[] free, Resources?[]? nonScalar, int[]? load, IEnumerable<int> machines,
        int[]?[]? gpuFree = null, int[]?[]? gpuModels = null)
    {
        var members = new List<List<int>>();
        var byHash = new Dictionary<int, List<int>>();
        foreach (var m in machines)
        {
            var hash = new HashCode();
            hash.Add(staticKey[m]);
            hash.Add(idle[m]);
            if (load is not null) hash.Add(load[m]);
            for (var i = 0; i < dims; i++) hash.Add(free[m * dims + i]);
            if (nonScalar?[m] is { } ns) hash.Add(ns);
            if (gpuFree?[m] is { } g)
            {
                foreach (var v in g) hash.Add(v);
            }
            var h = hash.ToHashCode();
            if (!byHash.TryGetValue(h, out var candidates)) byHash[h] = candidates = [];
            var found = -1;
            foreach (var k in candidates)
            {
                if (Same(members[k][0], m)) { found = k; break; }
            }
            if (found < 0)
            {
                found = members.Count;
                members.Add([]);
                candidates.Add(found);
            }
            members[found].Add(m);
        }
        return new MachineClassSet(members);

        // Machines are interchangeable for GPU tasks only with the same devices in the same state (same models, same free shares).
        static bool SameDevices(int[]? a, int[]? b, int[]? modelsA, int[]? modelsB) =>
            a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b) && modelsA.AsSpan().SequenceEqual(modelsB);

        bool Same(int a, int b)
        {
            if (staticKey[a] != staticKey[b] || idle[a] != idle[b]) return false;
            if (load is not null && load[a] != load[b]) return false;
            if (!free.AsSpan(a * dims, dims).SequenceEqual(free.AsSpan(b * dims, dims))) return false;
            if (gpuFree is not null && !SameDevices(gpuFree[a], gpuFree[b], gpuModels![a], gpuModels[b])) return false;
            return nonScalar is null || Equals(nonScalar[a], nonScalar[b]);
        }
    }
}
