using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class RangeSetTests
{
    private static RangeSet Set(string text) => RangeSet.Parse(text);

    [Fact]
    public void Create_merges_adjacent_ranges()
    {
        var set = RangeSet.Create([new ValueRange(1, 3), new ValueRange(4, 5)]);

        Assert.Equal([new ValueRange(1, 5)], set.Ranges);
        Assert.Equal(5UL, set.Count);
    }

    [Fact]
    public void Create_sorts_ranges_and_keeps_gaps()
    {
        var set = RangeSet.Create([new ValueRange(10, 12), new ValueRange(1, 2), new ValueRange(5, 5)]);

        Assert.Equal([new ValueRange(1, 2), new ValueRange(5, 5), new ValueRange(10, 12)], set.Ranges);
        Assert.Equal("[1-2, 5, 10-12]", set.ToString());
    }

    [Theory]
    [InlineData(1UL, 5UL, 5UL, 9UL)]
    [InlineData(1UL, 10UL, 3UL, 4UL)]
    [InlineData(7UL, 7UL, 7UL, 7UL)]
    [InlineData(3UL, 8UL, 1UL, 3UL)]
    public void Create_refuses_overlapping_ranges(ulong b1, ulong e1, ulong b2, ulong e2)
    {
        var e = ValidationAssert.Refuses("ranges", () => RangeSet.Create([new ValueRange(b1, e1), new ValueRange(b2, e2)]));
        Assert.Contains("overlap", e.Reason, StringComparison.Ordinal);
        ValidationAssert.Refuses("resources.ports", () => RangeSet.Create([new ValueRange(b1, e1), new ValueRange(b2, e2)], "resources.ports"));
    }

    [Fact]
    public void Create_finds_an_overlap_hidden_behind_a_long_range()
    {
        ValidationAssert.Refuses("ranges", () => RangeSet.Create([new ValueRange(1, 100), new ValueRange(200, 300), new ValueRange(50, 60)]));
    }

    [Fact]
    public void ValueRange_refuses_begin_after_end()
    {
        ValidationAssert.Refuses("range", () => new ValueRange(5, 4));
        ValidationAssert.Refuses("ports", () => new ValueRange(5, 4, "ports"));
    }

    [Fact]
    public void ValueRange_counts_contains_overlaps_and_prints()
    {
        var r = new ValueRange(31000, 32000);

        Assert.Equal(1001UL, r.Count);
        Assert.True(r.Contains(31000));
        Assert.True(r.Contains(32000));
        Assert.False(r.Contains(32001));
        Assert.True(r.Overlaps(new ValueRange(32000, 33000)));
        Assert.False(r.Overlaps(new ValueRange(32001, 33000)));
        Assert.Equal("31000-32000", r.ToString());
        Assert.Equal("80", new ValueRange(80, 80).ToString());
    }

    [Theory]
    [InlineData("[1-5]", "[3-9]", "[1-9]")]
    [InlineData("[1-5]", "[6-9]", "[1-9]")]
    [InlineData("[1-5]", "[7-9]", "[1-5, 7-9]")]
    [InlineData("[1-3, 7-9]", "[4-6]", "[1-9]")]
    [InlineData("[1-3, 10-12]", "[2-11]", "[1-12]")]
    [InlineData("[5-6]", "[1-10]", "[1-10]")]
    [InlineData("[]", "[1-2]", "[1-2]")]
    [InlineData("[1-2]", "[]", "[1-2]")]
    public void Union_merges_overlapping_and_adjacent_ranges(string a, string b, string expected)
    {
        Assert.Equal(Set(expected), Set(a).Union(Set(b)));
        Assert.Equal(Set(expected), Set(b).Union(Set(a)));
        Assert.Equal(expected, Set(a).Union(Set(b)).ToString());
    }

    [Theory]
    [InlineData("[1-10]", "[4-6]", "[1-3, 7-10]")]
    [InlineData("[1-10]", "[1-3]", "[4-10]")]
    [InlineData("[1-10]", "[8-10]", "[1-7]")]
    [InlineData("[1-10]", "[1-10]", "[]")]
    [InlineData("[1-10]", "[0-20]", "[]")]
    [InlineData("[1-10]", "[11-20]", "[1-10]")]
    [InlineData("[1-10]", "[5]", "[1-4, 6-10]")]
    [InlineData("[1-10]", "[2, 4, 6]", "[1, 3, 5, 7-10]")]
    [InlineData("[1-5, 10-15, 20-25]", "[4-11, 24-30]", "[1-3, 12-15, 20-23]")]
    [InlineData("[1-5, 10-15]", "[0-100]", "[]")]
    [InlineData("[]", "[1-5]", "[]")]
    [InlineData("[1-5]", "[]", "[1-5]")]
    public void Except_splits_ranges_in_the_middle_at_the_edges_and_whole(string a, string b, string expected)
    {
        var result = Set(a).Except(Set(b));

        Assert.Equal(Set(expected), result);
        Assert.Equal(expected, result.ToString());
        Assert.False(result.Overlaps(Set(b)));
    }

    [Fact]
    public void Except_at_the_top_of_the_value_space_does_not_overflow()
    {
        var top = RangeSet.Of(ulong.MaxValue - 5, ulong.MaxValue);

        Assert.Equal(RangeSet.Of(ulong.MaxValue - 5, ulong.MaxValue - 1), top.Except(RangeSet.Of(ulong.MaxValue, ulong.MaxValue)));
        Assert.Equal(RangeSet.Of(ulong.MaxValue - 1, ulong.MaxValue), top.Except(RangeSet.Of(0, ulong.MaxValue - 2)));
    }

    [Fact]
    public void Take_returns_the_lowest_values_spanning_ranges()
    {
        var set = Set("[1-3, 10-20]");

        Assert.Equal(Set("[1-3, 10-11]"), set.Take(5));
        Assert.Equal(Set("[1-2]"), set.Take(2));
        Assert.Equal(set, set.Take(set.Count));
        Assert.Equal(RangeSet.Empty, set.Take(0));
        Assert.Null(set.Take(set.Count + 1));
        Assert.Null(RangeSet.Empty.Take(1));
    }

    [Fact]
    public void Contains_value_and_subset()
    {
        var set = Set("[31000-31005, 31010-31020]");

        Assert.True(set.Contains(31000));
        Assert.True(set.Contains(31020));
        Assert.False(set.Contains(31007));
        Assert.False(set.Contains(0));
        Assert.True(set.Contains(Set("[31001-31002, 31015]")));
        Assert.True(set.Contains(RangeSet.Empty));
        Assert.False(set.Contains(Set("[31004-31011]")));
        Assert.False(set.Contains(Set("[31021]")));
        Assert.False(RangeSet.Empty.Contains(Set("[1]")));
    }

    [Fact]
    public void Overlaps_detects_any_shared_value()
    {
        var set = Set("[10-20, 30-40]");

        Assert.True(set.Overlaps(Set("[20-25]")));
        Assert.True(set.Overlaps(Set("[1-2, 35]")));
        Assert.False(set.Overlaps(Set("[21-29, 41-50]")));
        Assert.False(set.Overlaps(RangeSet.Empty));
    }

    [Fact]
    public void Values_enumerates_every_value_in_order_even_at_the_top_of_the_value_space()
    {
        Assert.Equal([1UL, 2UL, 3UL, 7UL], Set("[1-3, 7]").Values());
        Assert.Equal([ulong.MaxValue - 1, ulong.MaxValue], RangeSet.Of(ulong.MaxValue - 1, ulong.MaxValue).Values());
        Assert.Empty(RangeSet.Empty.Values());
    }

    [Theory]
    [InlineData("[31000-32000]", "[31000-32000]")]
    [InlineData("[31000-32000, 33000-33010]", "[31000-32000, 33000-33010]")]
    [InlineData("31000-32000,33000-33010", "[31000-32000, 33000-33010]")]
    [InlineData("[80, 443]", "[80, 443]")]
    [InlineData("[ 80 , 81 - 82 ]", "[80-82]")]
    [InlineData("[3-4, 1-2]", "[1-4]")]
    [InlineData("[]", "[]")]
    [InlineData("", "[]")]
    public void Parse_reads_mesos_text_form_and_ToString_writes_it(string text, string expected)
    {
        var set = RangeSet.Parse(text);

        Assert.Equal(expected, set.ToString());
        Assert.Equal(set, RangeSet.Parse(set.ToString()));
    }

    [Theory]
    [InlineData("[1-5, 5-9]")]
    [InlineData("[1-10, 3]")]
    [InlineData("[5-1]")]
    [InlineData("[a-b]")]
    [InlineData("[1-]")]
    [InlineData("[-1]")]
    [InlineData("[1-2-3]")]
    [InlineData("[1-2")]
    [InlineData("1-2]")]
    [InlineData("[+1]")]
    [InlineData("[99999999999999999999]")]
    public void Parse_refuses_malformed_or_overlapping_text(string text)
    {
        ValidationAssert.Refuses("ranges", () => RangeSet.Parse(text));
        ValidationAssert.Refuses("resources.ports", () => RangeSet.Parse(text, "resources.ports"));
    }

    [Fact]
    public void Sets_are_immutable()
    {
        var a = Set("[1-5]");
        var b = Set("[10-12]");
        var ranges = a.Ranges;

        _ = a.Union(b);
        _ = a.Except(Set("[2]"));
        _ = a.Take(2);

        Assert.Equal(Set("[1-5]"), a);
        Assert.Equal(Set("[10-12]"), b);
        Assert.Equal(a.Ranges, ranges);
    }

    [Fact]
    public void Equal_sets_are_equal_and_hash_alike_regardless_of_how_they_were_built()
    {
        var parsed = Set("[1-5]");
        var built = RangeSet.Create([new ValueRange(4, 5), new ValueRange(1, 3)]);

        Assert.Equal(parsed, built);
        Assert.Equal(parsed.GetHashCode(), built.GetHashCode());
        Assert.True(parsed.Equals((object)built));
        Assert.NotEqual(parsed, Set("[1-4]"));
        Assert.False(parsed.Equals(null));
        Assert.True(RangeSet.Empty.IsEmpty);
        Assert.False(parsed.IsEmpty);
    }
}
