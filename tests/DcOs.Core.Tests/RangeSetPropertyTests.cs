using CsCheck;
using DcOs.Core;

namespace DcOs.Core.Tests;

/// <summary>Merge/split round trips of <see cref="RangeSet"/>, checked against a plain set of values as the model.</summary>
public sealed class RangeSetPropertyTests
{
    private const int Width = 120;

    /// <summary>Where the generated values start: low, around the Mesos port range, and at the top of ulong.</summary>
    private static readonly Gen<ulong> GenBase = Gen.OneOfConst(0UL, 31000UL, ulong.MaxValue - Width + 1);

    /// <summary>A tag per value 0..Width-1; runs of equal tags make ranges of many shapes.</summary>
    private static Gen<int[]> GenTags(int maxTag) =>
        Gen.Select(Gen.Int[0, maxTag].Array[Width], Gen.Int[1, 8], (tags, run) =>
        {
            // Repeat each tag over a short run so ranges longer than one value are common.
            var smoothed = new int[Width];
            for (var i = 0; i < Width; i++) smoothed[i] = tags[i / run * run];
            return smoothed;
        });

    /// <summary>Explicit ranges, possibly overlapping, in arbitrary order.</summary>
    private static readonly Gen<(ulong Begin, ulong End)[]> GenRawRanges =
        Gen.Select(Gen.Int[0, 300], Gen.Int[0, 12], (b, len) => ((ulong)b, (ulong)(b + len))).Array[0, 12];

    [Fact]
    public void Union_then_except_of_a_disjoint_set_gives_the_original()
    {
        Gen.Select(GenBase, GenTags(2)).Sample((origin, tags) =>
        {
            var a = FromValues(Values(origin, tags, t => t == 1));
            var b = FromValues(Values(origin, tags, t => t == 2));

            var union = a.Union(b);

            Assert.Equal(a.Count + b.Count, union.Count);
            Assert.Equal(a, union.Except(b));
            Assert.Equal(b, union.Except(a));
        });
    }

    [Fact]
    public void Except_then_union_with_a_contained_removed_part_gives_the_original()
    {
        Gen.Select(GenBase, GenTags(2)).Sample((origin, tags) =>
        {
            var a = FromValues(Values(origin, tags, t => t >= 1));
            var removed = FromValues(Values(origin, tags, t => t == 2));
            Assert.True(a.Contains(removed));

            var rest = a.Except(removed);

            Assert.False(rest.Overlaps(removed));
            Assert.Equal(a.Count - removed.Count, rest.Count);
            Assert.Equal(a, rest.Union(removed));
            Assert.Equal(a, removed.Union(rest));
        });
    }

    [Fact]
    public void Create_from_disjoint_ranges_holds_exactly_their_sorted_distinct_values()
    {
        GenRawRanges.Sample(raw =>
        {
            var kept = new List<ValueRange>();
            foreach (var (begin, end) in raw)
            {
                var r = new ValueRange(begin, end);
                if (!kept.Any(k => k.Overlaps(r))) kept.Add(r);
            }

            var set = RangeSet.Create(kept);

            var expected = kept.SelectMany(r => Enumerable.Range((int)r.Begin, (int)r.Count).Select(v => (ulong)v)).Distinct().Order().ToList();
            Assert.Equal(expected, set.Values());
            Assert.Equal((ulong)expected.Count, set.Count);
            AssertNormalized(set);
            for (ulong v = 0; v < 320; v++) Assert.Equal(expected.Contains(v), set.Contains(v));
        });
    }

    [Fact]
    public void Create_refuses_exactly_the_lists_with_an_overlap()
    {
        GenRawRanges.Sample(raw =>
        {
            var ranges = raw.Select(r => new ValueRange(r.Begin, r.End)).ToList();
            var overlapping = ranges.SelectMany((r, i) => ranges.Skip(i + 1), (r, s) => r.Overlaps(s)).Any(o => o);
            if (overlapping) Assert.Throws<ValidationException>(() => RangeSet.Create(ranges));
            else Assert.Equal((ulong)ranges.Sum(r => (long)r.Count), RangeSet.Create(ranges).Count);
        });
    }

    [Fact]
    public void Set_operations_agree_with_a_model_set_of_values()
    {
        Gen.Select(GenBase, GenTags(3), Gen.Int[0, Width]).Sample((origin, tags, take) =>
        {
            var aValues = Values(origin, tags, t => t is 1 or 3);
            var bValues = Values(origin, tags, t => t is 2 or 3);
            var a = FromValues(aValues);
            var b = FromValues(bValues);

            Assert.Equal(aValues.Union(bValues).Order(), a.Union(b).Values());
            Assert.Equal(aValues.Except(bValues).Order(), a.Except(b).Values());
            Assert.Equal(aValues.Intersect(bValues).Any(), a.Overlaps(b));
            Assert.Equal(bValues.All(aValues.Contains), a.Contains(b));
            AssertNormalized(a.Union(b));
            AssertNormalized(a.Except(b));

            var taken = a.Take((ulong)take);
            if (take > aValues.Count) Assert.Null(taken);
            else Assert.Equal(aValues.Order().Take(take), taken!.Values());
        });
    }

    private static void AssertNormalized(RangeSet set)
    {
        var ranges = set.Ranges;
        for (var i = 1; i < ranges.Length; i++)
        {
            Assert.True(ranges[i - 1].End < ranges[i].Begin - 1, $"ranges {ranges[i - 1]} and {ranges[i]} should have been merged");
        }
    }

    private static List<ulong> Values(ulong origin, int[] tags, Func<int, bool> includes) =>
        [.. Enumerable.Range(0, tags.Length).Where(i => includes(tags[i])).Select(i => origin + (ulong)i)];

    private static RangeSet FromValues(IEnumerable<ulong> values) =>
        RangeSet.Create(values.Reverse().Select(v => new ValueRange(v, v)));
}
