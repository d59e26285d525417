using DcOs.Core;

namespace DcOs.Optimization.Internal;

/// <summary>
/// Places tasks a plan leaves out by moving a few of its tasks elsewhere (an ejection chain of depth one). On a GPU
/// cluster the plan that is cheapest, or packs tightest, puts CPU-only tasks on the GPU machines that run anyway, and a
/// GPU task is then left out for want of cpus beside free GPUs; or shares spread over a machine's devices leave no
/// whole one. For each left-out task, highest priority and smallest first: a machine it is allowed on where taking off
/// some movable tasks (no ports, no group constraint, no whole devices) makes it fit; it goes there and those tasks go
/// to other machines where they fit, machines already in use first (CPU-only tasks to those without free GPUs first),
/// then idle ones, cheapest first. A move is kept only when every task moved found a place, so each one places one
/// task more and loses none; the plan's devices stay exact (every take and give is per device). Placement comes
/// before the bill: a move may switch on a machine. Deterministic: bounded by a count of machines examined, not by time.
/// </summary>
internal static class EjectionRepair
{
    /// <summary>Tasks taken off one machine to make room for one left-out task, at most.</summary>
    private const int MaxEjected = 8;

    /// <summary>Machines examined (to make room or to take a moved task) over the whole repair, at most.</summary>
    private const long WorkBudget = 50_000_000;

    /// <summary>
    /// Tries to place the plan's left-out tasks; <paramref name="state"/>, <paramref name="assignment"/> and
    /// <paramref name="devices"/> (device indexes per task) are updated in place. Returns how many more tasks it placed.
    /// </summary>
    public static int Run(CompiledProblem p, MachineState state, int[] assignment, int[]?[]? devices, CancellationToken cancellationToken)
    {
        if (p.HasDynamicConstraints || p.SpreadUnit != 0) return 0;
        var left = Enumerable.Range(0, assignment.Length).Where(t => assignment[t] < 0 && p.Placeable[p.ClassOfTask[t]]).ToList();
        if (left.Count == 0) return 0;
        return new Repair(p, state, assignment, devices).PlaceLeftOut(left, cancellationToken);
    }

    private sealed class Repair
    {
        private readonly CompiledProblem _p;
        private readonly MachineState _state;
        private readonly int[] _assignment;
        private readonly int[]?[]? _devices;
        private readonly int[]?[] _positions;
        private readonly List<int>[] _onMachine;
        private readonly int[] _targetOrder;
        private readonly int[] _from;
        private readonly long[] _noPlaceSince;
        private readonly bool[] _neverPlaced;
        private readonly int[]?[] _candidates;
        private readonly Dictionary<(int Class, int Signature), long> _failedOn = [];
        /// <summary>Puts, and takes off, tasks as a move is tried, to undo it if some task finds no place.</summary>
        private readonly List<(int Task, int Machine, int[]? Positions, bool Put)> _journal = [];
        private long _commits;
        private long _work;

        public Repair(CompiledProblem p, MachineState state, int[] assignment, int[]?[]? devices)
        {
            _p = p;
            _state = state;
            _assignment = assignment;
            _devices = devices;
            _positions = new int[]?[assignment.Length];
            _onMachine = new List<int>[p.M];
            for (var m = 0; m < p.M; m++) _onMachine[m] = [];
            for (var t = 0; t < assignment.Length; t++)
            {
                var m = assignment[t];
                if (m < 0) continue;
                _onMachine[m].Add(t);
                if (devices?[t] is { } indexes) _positions[t] = [.. indexes.Select(i => Array.IndexOf(p.GpuIndexes![m]!, i))];
            }
            // Where moved tasks go: machines in use without free GPUs (their cpus strand nothing), then in use with free
            // GPUs, then idle ones by price. Fixed once; each class scans it from where it last found room (room only shrinks
            // there, apart from the machine a move empties, which then holds the task it made room for).
            _targetOrder = [.. Enumerable.Range(0, p.M)
                .OrderBy(m => state.IsIdle(m) ? 2 : FreeGpu(m) > 0 ? 1 : 0)
                .ThenBy(m => state.IsIdle(m) ? p.Machines[m].Cost.MachinePerHour : 0)
                .ThenBy(m => m)];
            _from = new int[p.Classes.Length];
            _noPlaceSince = new long[p.Classes.Length];
            _candidates = new int[]?[p.Classes.Length];
            _neverPlaced = new bool[p.Classes.Length];
            Array.Fill(_noPlaceSince, -1);
        }

        public int PlaceLeftOut(List<int> left, CancellationToken cancellationToken)
        {
            var size = GreedySolver.ClassSizes(_p);
            left.Sort((a, b) =>
            {
                var c = _p.Tasks[b].Priority.CompareTo(_p.Tasks[a].Priority);
                if (c != 0) return c;
                var ga = _p.ClassGpu[_p.ClassOfTask[a]];
                var gb = _p.ClassGpu[_p.ClassOfTask[b]];
                c = ((long)ga.Devices * ga.Thousandths).CompareTo((long)gb.Devices * gb.Thousandths);
                if (c != 0) return c;
                c = size[_p.ClassOfTask[a]].CompareTo(size[_p.ClassOfTask[b]]);
                return c != 0 ? c : a.CompareTo(b);
            });
            var failed = new bool[_p.Classes.Length];
            var placed = 0;
            foreach (var t in left)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var c = _p.ClassOfTask[t];
                // Tasks of a class that found no room will not find it for the next one either (the repair only fills).
                if (failed[c] || _work > WorkBudget) continue;
                if (TryPlace(t, c)) placed++;
                else failed[c] = true;
            }
            return placed;
        }

        private bool TryPlace(int t, int c)
        {
            var ejected = new List<int>();
            _candidates[c] ??= [.. Enumerable.Range(0, _p.M).Where(m => _p.Allowed(c, m) && _p.Fit(c, _p.InitialFree, m, _p.InitialNonScalar, _p.InitialGpuFree) > 0)];
            foreach (var m in _candidates[c]!)
            {
                _work++;
                if (_state.Fit(c, m) > 0)
                {
                    Put(t, c, m);
                    _journal.Clear();
                    _commits++;
                    return true;
                }
                // A machine in the same state as one where this failed since the last commit fails the same way.
                var signature = (c, Signature(m));
                if (_failedOn.TryGetValue(signature, out var at) && at == _commits) continue;
                _failedOn[signature] = _commits;
                ejected.Clear();
                if (!MakeRoom(c, m, ejected, devices: true)) continue;
                foreach (var e in ejected) Take(e);
                Put(t, c, m);
                var ok = true;
                foreach (var e in ejected.OrderByDescending(e => _p.ClassGpu[_p.ClassOfTask[e]].Thousandths).ThenByDescending(e => e))
                {
                    if (!Relocate(e, m)) { ok = false; break; }
                }
                if (ok)
                {
                    _journal.Clear();
                    _commits++;
                    return true;
                }
                Undo(0);
            }
            return false;
        }

        /// <summary>
        /// Moves a task taken off <paramref name="source"/> to another machine: one where it fits; else, for a GPU
        /// task, one where its devices fit and CPU-only tasks there can move on to machines where they fit.
        /// </summary>
        private bool Relocate(int e, int source)
        {
            var ce = _p.ClassOfTask[e];
            // A failed try is undone, so the state is as at the last commit when a try starts: a class that found no
            // machine to fit on since then finds none now. One that could not make room either is not tried again at
            // all: commits only fill machines, apart from those a move empties, which take the task it made room for.
            if (_noPlaceSince[ce] == _commits || _neverPlaced[ce]) return false;
            var to = Target(e, source, -1);
            if (to >= 0)
            {
                Put(e, ce, to);
                return true;
            }
            if (_p.ClassGpu[ce].Devices == 0)
            {
                _noPlaceSince[ce] = _commits;
                return false;
            }
            var evicted = new List<int>();
            foreach (var m in _targetOrder)
            {
                _work++;
                if (m == source || !_p.Allowed(ce, m) || _state.Gpu?[m] is not { } gpu || _p.ClassGpu[ce].Fit(gpu, _p.GpuModels![m]) == 0) continue;
                evicted.Clear();
                if (!MakeRoom(ce, m, evicted, devices: false)) continue;
                var mark = _journal.Count;
                foreach (var x in evicted) Take(x);
                Put(e, ce, m);
                var ok = true;
                foreach (var x in evicted)
                {
                    var next = Target(x, m, source);
                    if (next < 0) { ok = false; break; }
                    Put(x, _p.ClassOfTask[x], next);
                }
                if (ok) return true;
                Undo(mark);
            }
            _neverPlaced[ce] = true;
            return false;
        }

        private void Undo(int mark)
        {
            while (_journal.Count > mark)
            {
                var (t, m, positions, put) = _journal[^1];
                _journal.RemoveAt(_journal.Count - 1);
                var c = _p.ClassOfTask[t];
                if (put)
                {
                    _state.Remove(c, m, positions);
                    _onMachine[m].Remove(t);
                    Record(t, -1, null);
                }
                else
                {
                    _state.PlaceOn(c, m, positions);
                    _onMachine[m].Add(t);
                    Record(t, m, positions);
                }
            }
        }

        /// <summary>
        /// Chooses tasks on m to take off so that one task of class c fits there: for its devices, the shares on the
        /// devices that free most easily; for cpus, memory and the like, tasks without GPUs first, largest first. False
        /// when no such set of at most <see cref="MaxEjected"/> movable tasks exists.
        /// </summary>
        private bool MakeRoom(int c, int m, List<int> ejected, bool devices)
        {
            var d = _p.D;
            var free = new long[d];
            for (var i = 0; i < d; i++) free[i] = _state.Free[m * d + i];
            var gpu = (int[]?)_state.Gpu?[m]?.Clone();
            var models = _p.GpuModels?[m];
            var want = _p.ClassGpu[c];
            if (_p.Shapes[_p.Classes[c].Shape].NonScalar is { } ns && (_state.NonScalar?[m] is not { } have || !have.Contains(ns))) return false;

            if (devices && want.Devices > 0 && gpu is not null && want.Fit(gpu, models) == 0)
            {
                // Devices of the model, most free first; each must be freed of movable shares (whole devices need all of it).
                var need = want.Shares ? want.Thousandths : GpuShares.Whole;
                var candidates = Enumerable.Range(0, gpu.Length).Where(i => want.Model == -1 || models![i] == want.Model).OrderByDescending(i => gpu[i]).ThenBy(i => i);
                var freed = 0;
                foreach (var i in candidates)
                {
                    var holders = _onMachine[m].Where(e => _positions[e] is { } pos && pos.Contains(i)).ToList();
                    if (holders.Any(e => !Movable(e))) continue;
                    var room = gpu[i];
                    var take = new List<int>();
                    // The smallest share that makes room alone (small shares find a place elsewhere most easily), else largest first.
                    var single = holders.Where(e => room + Share(e) >= need).OrderBy(Share).ThenBy(e => e).Take(1).ToList();
                    foreach (var e in single.Count > 0 ? single : [.. holders.OrderByDescending(Share).ThenBy(e => e)])
                    {
                        if (room >= need) break;
                        take.Add(e);
                        room += Share(e);
                    }
                    if (room < need || ejected.Count + take.Count > MaxEjected) continue;
                    foreach (var e in take) Eject(e, free, gpu, ejected);
                    if (++freed == (want.Shares ? 1 : want.Devices)) break;
                }
                if (want.Fit(gpu, models) == 0) return false;
            }

            for (var i = 0; i < d; i++)
            {
                var demand = _p.ClassDemand[c * d + i];
                if (free[i] >= demand) continue;
                var dim = i;
                var movable = _onMachine[m].Where(e => !ejected.Contains(e) && Movable(e) && (devices || _p.ClassGpu[_p.ClassOfTask[e]].Devices == 0) && _p.ClassDemand[_p.ClassOfTask[e] * d + dim] > 0)
                    .OrderBy(e => _p.ClassGpu[_p.ClassOfTask[e]].Devices > 0 ? 1 : 0)
                    .ThenByDescending(e => _p.ClassDemand[_p.ClassOfTask[e] * d + dim])
                    .ThenBy(e => e);
                foreach (var e in movable)
                {
                    if (free[i] >= demand || ejected.Count >= MaxEjected) break;
                    Eject(e, free, gpu, ejected);
                }
                if (free[i] < demand) return false;
            }
            return true;
        }

        private int Share(int e) => _p.ClassGpu[_p.ClassOfTask[e]].Thousandths;

        private void Eject(int e, long[] free, int[]? gpu, List<int> ejected)
        {
            var d = _p.D;
            var ce = _p.ClassOfTask[e];
            for (var i = 0; i < d; i++) free[i] += _p.ClassDemand[ce * d + i];
            if (gpu is not null && _positions[e] is { } pos) _p.ClassGpu[ce].Give(gpu, pos);
            ejected.Add(e);
        }

        /// <summary>A planned task that may move: no ports or set items, no group, not on whole devices.</summary>
        private bool Movable(int e)
        {
            var ce = _p.ClassOfTask[e];
            var g = _p.ClassGpu[ce];
            return _p.Shapes[_p.Classes[ce].Shape].NonScalar is null && _p.Classes[ce].Group < 0 && (g.Devices == 0 || g.Shares);
        }

        /// <summary>Another machine where a moved task fits, in <see cref="_targetOrder"/>, or -1.</summary>
        private int Target(int e, int source, int alsoNot)
        {
            var c = _p.ClassOfTask[e];
            for (var i = _from[c]; i < _targetOrder.Length; i++)
            {
                _work++;
                var m = _targetOrder[i];
                if (m == source || m == alsoNot || !_p.Allowed(c, m) || _state.Fit(c, m) == 0) continue;
                _from[c] = i;
                return m;
            }
            _from[c] = _targetOrder.Length;
            return -1;
        }

        /// <summary>What makes two machines interchangeable here: static key, free room, devices, and the classes of the plan's tasks on them.</summary>
        private int Signature(int m)
        {
            var hash = new HashCode();
            hash.Add(_p.StaticKeyOfMachine[m]);
            for (var i = 0; i < _p.D; i++) hash.Add(_state.Free[m * _p.D + i]);
            if (_state.Gpu?[m] is { } gpu)
            {
                foreach (var g in gpu) hash.Add(g);
            }
            var classes = _onMachine[m].Select(t => _p.ClassOfTask[t]).Order();
            foreach (var k in classes) hash.Add(k);
            return hash.ToHashCode();
        }

        private int FreeGpu(int m) => _state.Gpu?[m] is { } g ? g.Sum() : 0;

        private void Put(int t, int c, int m)
        {
            var positions = _state.Place(c, m);
            _onMachine[m].Add(t);
            Record(t, m, positions);
            _journal.Add((t, m, positions, true));
        }

        private void Take(int t)
        {
            var m = _assignment[t];
            var positions = _positions[t];
            _state.Remove(_p.ClassOfTask[t], m, positions);
            _onMachine[m].Remove(t);
            Record(t, -1, null);
            _journal.Add((t, m, positions, false));
        }

        private void Record(int t, int m, int[]? positions)
        {
            _assignment[t] = m;
            _positions[t] = positions;
            if (_devices is not null) _devices[t] = positions is null ? null : [.. positions.Select(i => _p.GpuIndexes![m]![i])];
        }
    }
}
