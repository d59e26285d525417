using CsCheck;
using DcOs.Core;

namespace DcOs.Core.Tests;

/// <summary>
/// Algebraic properties of <see cref="Resources"/>, checked on generated bags over a small key universe (scalars in two
/// roles and with a reservation, ports in two roles, a set resource in two roles) so that keys collide often.
/// </summary>
public sealed class ResourcesPropertyTests
{
    private static readonly (string Name, string Role, string? Reservation)[] ScalarKeys =
        [("cpus", "*", null), ("cpus", "web", null), ("mem", "*", null), ("disk", "web", "r1")];

    private static readonly string[] PortRoles = ["*", "web"];
    private static readonly string[] SetRoles = ["*", "ml"];
    private const int PortWidth = 40;
    private const ulong PortBase = 31000;
    private const int SetWidth = 8;

    private static readonly Gen<long> GenMilli = Gen.Frequency((1, Gen.Const(0L)), (3, Gen.Long[1, 5_000]));
    private static readonly Gen<long[]> GenMillis = GenMilli.Array[ScalarKeys.Length];

    private static Gen<int[]> GenPortTags(int maxTag) => Gen.Int[0, maxTag].Array[PortRoles.Length * PortWidth];

    private static Gen<int[]> GenSetTags(int maxTag) => Gen.Int[0, maxTag].Array[SetRoles.Length * SetWidth];

    /// <summary>Two bags whose ranges and sets are disjoint key by key (scalars are independent).</summary>
    private static readonly Gen<(Resources A, Resources B)> GenDisjointPair =
        Gen.Select(GenMillis, GenMillis, GenPortTags(2), GenSetTags(2),
            (ma, mb, ports, sets) => (Build(ma, ports, sets, t => t == 1), Build(mb, ports, sets, t => t == 2)));

    /// <summary>Two independent bags whose ranges and sets may share values.</summary>
    private static readonly Gen<(Resources A, Resources B)> GenAnyPair =
        Gen.Select(GenMillis, GenMillis, GenPortTags(3), GenSetTags(3),
            (ma, mb, ports, sets) => (Build(ma, ports, sets, t => t is 1 or 3), Build(mb, ports, sets, t => t is 2 or 3)));

    /// <summary>x contained in a by construction, and b disjoint from a.</summary>
    private static readonly Gen<(Resources X, Resources A, Resources B)> GenContainedAndDisjoint =
        Gen.Select(GenMillis, GenMillis, GenMillis, GenPortTags(3), GenSetTags(3),
            (mx, ma, mb, ports, sets) => (
                Build(mx, ports, sets, t => t == 2),
                Build(Sum(mx, ma), ports, sets, t => t is 1 or 2),
                Build(mb, ports, sets, t => t == 3)));

    /// <summary>x in y in z by construction.</summary>
    private static readonly Gen<(Resources X, Resources Y, Resources Z)> GenNested =
        Gen.Select(GenMillis, GenMillis, GenMillis, GenPortTags(3), GenSetTags(3),
            (m1, m2, m3, ports, sets) => (
                Build(m3, ports, sets, t => t >= 3),
                Build(Sum(m3, m2), ports, sets, t => t >= 2),
                Build(Sum(m3, Sum(m2, m1)), ports, sets, t => t >= 1)));

    [Fact]
    public void Adding_then_subtracting_a_disjoint_bag_gives_the_original()
    {
        GenDisjointPair.Sample((a, b) =>
        {
            Assert.Equal(a, (a + b) - b);
            Assert.Equal(b, (a + b) - a);
        });
    }

    [Fact]
    public void Addition_is_commutative_and_contains_both_operands()
    {
        GenDisjointPair.Sample((a, b) =>
        {
            var sum = a + b;
            Assert.Equal(sum, b + a);
            Assert.True(a.FitsIn(sum));
            Assert.True(b.FitsIn(sum));
        });
    }

    [Fact]
    public void Subtraction_never_goes_negative_and_stays_within_the_minuend()
    {
        GenAnyPair.Sample((a, b) =>
        {
            var d = a - b;

            Assert.True(d.FitsIn(a));
            Assert.True(a.Contains(d));
            Assert.All(d, r => Assert.False(r.IsEmpty));
            foreach (var mine in a)
            {
                var theirs = b.FirstOrDefault(r => r.SameKey(mine));
                var left = d.FirstOrDefault(r => r.SameKey(mine));
                switch (mine.Kind)
                {
                    case ResourceKind.Scalar:
                        var expected = Math.Max(0, mine.Scalar.Milli - (theirs?.Scalar.Milli ?? 0));
                        Assert.True((left?.Scalar.Milli ?? 0) >= 0);
                        Assert.Equal(expected, left?.Scalar.Milli ?? 0);
                        break;
                    case ResourceKind.Ranges:
                        var ranges = left?.Ranges ?? RangeSet.Empty;
                        Assert.Equal(mine.Ranges.Except(theirs?.Ranges ?? RangeSet.Empty), ranges);
                        Assert.False(ranges.Overlaps(theirs?.Ranges ?? RangeSet.Empty));
                        break;
                    default:
                        var items = left?.Set ?? ValueSet.Empty;
                        Assert.False(items.Overlaps(theirs?.Set ?? ValueSet.Empty));
                        Assert.True(mine.Set.Contains(items));
                        break;
                }
            }
            Assert.All(d, r => Assert.Contains(a, m => m.SameKey(r)));
        });
    }

    [Fact]
    public void Fits_is_exactly_subtracting_the_available_leaves_nothing()
    {
        GenAnyPair.Sample((x, a) => Assert.Equal(x.FitsIn(a), (x - a).IsEmpty));
        GenNested.Sample((x, y, _) =>
        {
            Assert.True((x - y).IsEmpty);
            Assert.Equal(y.FitsIn(x), (y - x).IsEmpty);
        });
    }

    [Fact]
    public void What_fits_in_a_still_fits_in_a_plus_b()
    {
        GenContainedAndDisjoint.Sample((x, a, b) =>
        {
            Assert.True(x.FitsIn(a));
            Assert.True(x.FitsIn(a + b));
        });
        Gen.Select(GenAnyPair, GenDisjointPair).Sample((xa, ab) =>
        {
            var (x, _) = xa;
            var (a, b) = ab;
            if (x.FitsIn(a)) Assert.True(x.FitsIn(a + b));
        });
    }

    [Fact]
    public void Fits_is_transitive()
    {
        GenNested.Sample((x, y, z) =>
        {
            Assert.True(x.FitsIn(y));
            Assert.True(y.FitsIn(z));
            Assert.True(x.FitsIn(z));
        });
        Gen.Select(GenAnyPair, GenNested).Sample((wv, xyz) =>
        {
            var (w, _) = wv;
            var (_, y, z) = xyz;
            if (w.FitsIn(y)) Assert.True(w.FitsIn(z));
        });
    }

    [Fact]
    public void Text_form_round_trips()
    {
        GenAnyPair.Sample((a, _) => Assert.Equal(a, Resources.Parse(a.ToString())));
    }

    private static long[] Sum(long[] a, long[] b) => [.. a.Zip(b, (x, y) => x + y)];

    private static Resources Build(long[] millis, int[] portTags, int[] setTags, Func<int, bool> includes)
    {
        var list = new List<Resource>();
        for (var k = 0; k < ScalarKeys.Length; k++)
        {
            var (name, role, reservation) = ScalarKeys[k];
            list.Add(Resource.OfScalar(name, Scalar.FromMilli(millis[k]), role, reservation));
        }
        for (var k = 0; k < PortRoles.Length; k++)
        {
            var ranges = new List<ValueRange>();
            for (var v = 0; v < PortWidth; v++)
            {
                if (includes(portTags[(k * PortWidth) + v])) ranges.Add(new ValueRange(PortBase + (ulong)v, PortBase + (ulong)v));
            }
            list.Add(Resource.OfRanges(ResourceNames.Ports, RangeSet.Create(ranges), PortRoles[k]));
        }
        for (var k = 0; k < SetRoles.Length; k++)
        {
            var items = new List<string>();
            for (var v = 0; v < SetWidth; v++)
            {
                if (includes(setTags[(k * SetWidth) + v])) items.Add("g" + v);
            }
            list.Add(Resource.OfSet("gpu_ids", ValueSet.Create(items), SetRoles[k]));
        }
        return Resources.Of(list);
    }
}
