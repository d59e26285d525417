namespace DcOs.Optimization.Internal;

/// <summary>
/// Turns class-level counts (so many tasks of class c onto machine class k, from the flow or the class relaxation)
/// into concrete task-to-machine choices that respect every dimension of every machine. Each class's share is dealt
/// round-robin over as many machines as the share needs, so every machine gets the same mix as the whole (a machine
/// full of cpu-heavy tasks next to one full of memory-heavy tasks would waste both). The counts only bound each
/// (c, k) pair separately, so when classes mix some tasks may not fit; those stay pending for the caller.
/// </summary>
internal static class ClassAssigner
{
    /// <summary>
    /// Places <paramref name="counts"/>[k] = (class, how many) on the machines of class k, drawing tasks from the
    /// front of <paramref name="pending"/>[class]; placed tasks leave <paramref name="pending"/>. Machines used per
    /// class k: <paramref name="machinesToUse"/>[k] when given, all of them for <paramref name="spread"/>, otherwise
    /// as many as the share's largest dimension needs. Returns how many tasks were placed.
    /// </summary>
    public static int Assign(
        CompiledProblem p, MachineState state, MachineClassSet machineClasses, List<(int Class, int Count)>[] counts,
        List<int>[] pending, bool spread, double[] classSize, int[] assignment, long[]? machinesToUse = null)
    {
        var taken = new int[p.Classes.Length];
        var leftovers = new List<int>?[p.Classes.Length];
        var placed = 0;
        var overflow = new List<(int Class, int Task)>();
        for (var k = 0; k < machineClasses.Count; k++)
        {
            var list = counts[k];
            if (list.Count == 0) continue;
            // Big tasks first: what is left after them is easier to fill with small ones.
            list.Sort((a, b) =>
            {
                var c = classSize[b.Class].CompareTo(classSize[a.Class]);
                return c != 0 ? c : a.Class.CompareTo(b.Class);
            });
            var machines = machineClasses.Members[k];
            var use = spread ? machines.Count : (int)Math.Clamp(machinesToUse?[k] ?? Needed(p, state, machines[0], list), 1, machines.Count);
            var cursor = 0;
            overflow.Clear();
            foreach (var (c, count) in list)
            {
                var queue = pending[c];
                var ring = new Ring(use, cursor);
                for (var i = 0; i < count; i++)
                {
                    var t = queue[taken[c]++];
                    var m = ring.Next(state, c, machines);
                    if (m < 0)
                    {
                        overflow.Add((c, t));
                        continue;
                    }
                    state.Place(c, m);
                    assignment[t] = m;
                    placed++;
                }
                cursor = ring.Position;
            }
            // What the chosen machines could not hold: first fit over the whole class (spread already tried them all).
            // A machine passed over for a class never gets room for it back, so each class scans the class once.
            var from = new Dictionary<int, int>();
            foreach (var (c, t) in overflow)
            {
                var m = -1;
                if (!spread)
                {
                    var i = from.GetValueOrDefault(c);
                    while (i < machines.Count && state.Fit(c, machines[i]) == 0) i++;
                    from[c] = i;
                    if (i < machines.Count) m = machines[i];
                }
                if (m < 0)
                {
                    (leftovers[c] ??= []).Add(t);
                    continue;
                }
                state.Place(c, m);
                assignment[t] = m;
                placed++;
            }
        }
        for (var c = 0; c < pending.Length; c++)
        {
            if (taken[c] == 0) continue;
            var rest = pending[c].GetRange(taken[c], pending[c].Count - taken[c]);
            if (leftovers[c] is { } left)
            {
                left.AddRange(rest);
                left.Sort();
                rest = left;
            }
            pending[c] = rest;
        }
        return placed;
    }

    /// <summary>Machines the share needs by its most demanding dimension (at least one).</summary>
    private static long Needed(CompiledProblem p, MachineState state, int representative, List<(int Class, int Count)> list)
    {
        long needed = 1;
        for (var d = 0; d < p.D; d++)
        {
            long total = 0;
            foreach (var (c, count) in list) total += p.ClassDemand[c * p.D + d] * count;
            var free = state.Free[representative * p.D + d];
            if (total > 0 && free > 0) needed = Math.Max(needed, (total + free - 1) / free);
        }
        return needed;
    }

    /// <summary>
    /// The first <c>use</c> machines of a class in cyclic order, for one task class: each call returns the next one
    /// with room; one that has none is dropped for good (capacity only shrinks), so dealing n tasks over u machines
    /// costs O(n + u) fit checks, not O(n u) once machines fill up.
    /// </summary>
    private sealed class Ring
    {
        private readonly int[] _next;
        private readonly int[] _prev;
        private int _alive;

        public Ring(int size, int start)
        {
            _next = new int[size];
            _prev = new int[size];
            for (var i = 0; i < size; i++)
            {
                _next[i] = i + 1 == size ? 0 : i + 1;
                _prev[i] = i == 0 ? size - 1 : i - 1;
            }
            _alive = size;
            Position = start % size;
        }

        /// <summary>Where the next search starts (a position in the class's machine list).</summary>
        public int Position { get; private set; }

        public int Next(MachineState state, int c, List<int> machines)
        {
            while (_alive > 0)
            {
                var pos = Position;
                var m = machines[pos];
                if (state.Fit(c, m) > 0)
                {
                    Position = _next[pos];
                    return m;
                }
                _alive--;
                var after = _next[pos];
                _next[_prev[pos]] = after;
                _prev[after] = _prev[pos];
                Position = after;
            }
            return -1;
        }
    }
}
