using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class ValueSetTests
{
    [Fact]
    public void Create_orders_items_ordinally_and_trims_them()
    {
        var set = ValueSet.Create(["b", " a ", "B"]);

        Assert.Equal(["B", "a", "b"], set.Items);
        Assert.Equal(3, set.Count);
        Assert.Equal("{B,a,b}", set.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void Create_refuses_empty_items(string item)
    {
        ValidationAssert.Refuses("set", () => ValueSet.Create(["a", item]));
        ValidationAssert.Refuses("resources.gpu_ids", () => ValueSet.Create([item], "resources.gpu_ids"));
    }

    [Fact]
    public void Create_refuses_repeated_items()
    {
        var e = ValidationAssert.Refuses("set", () => ValueSet.Create(["a", "b", "a"]));
        Assert.Contains("twice", e.Reason, StringComparison.Ordinal);
        ValidationAssert.Refuses("set", () => ValueSet.Create(["a", "a "]));
    }

    [Fact]
    public void Union_except_contains_and_overlaps()
    {
        var ab = ValueSet.Create(["a", "b"]);
        var bc = ValueSet.Create(["b", "c"]);

        Assert.Equal(ValueSet.Create(["a", "b", "c"]), ab.Union(bc));
        Assert.Equal(ValueSet.Create(["a"]), ab.Except(bc));
        Assert.True(ab.Overlaps(bc));
        Assert.False(ab.Overlaps(ValueSet.Create(["c"])));
        Assert.True(ab.Contains("a"));
        Assert.False(ab.Contains("c"));
        Assert.True(ab.Contains(ValueSet.Create(["b"])));
        Assert.True(ab.Contains(ValueSet.Empty));
        Assert.False(ab.Contains(bc));
    }

    [Fact]
    public void Sets_are_immutable_and_compare_by_content()
    {
        var ab = ValueSet.Create(["a", "b"]);

        _ = ab.Union(ValueSet.Create(["z"]));
        _ = ab.Except(ValueSet.Create(["a"]));

        Assert.Equal(ValueSet.Create(["b", "a"]), ab);
        Assert.Equal(ValueSet.Create(["b", "a"]).GetHashCode(), ab.GetHashCode());
        Assert.NotEqual(ValueSet.Create(["a"]), ab);
        Assert.True(ValueSet.Empty.IsEmpty);
        Assert.Equal("{}", ValueSet.Empty.ToString());
    }
}
