using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class AttributesTests
{
    [Fact]
    public void Parse_reads_text_and_scalar_values()
    {
        var attrs = Attributes.Parse("zone:us-east-1a;rack:r1;cores:8;load:2.5");

        Assert.Equal(4, attrs.Count);
        Assert.Equal("us-east-1a", attrs.GetText("zone"));
        Assert.Equal("r1", attrs.GetText("rack"));
        Assert.True(attrs.TryGet("cores", out var cores));
        Assert.True(cores.IsScalar);
        Assert.Equal(8.0, cores.Scalar);
        Assert.Equal("8", cores.Text);
        Assert.True(attrs.TryGet("zone", out var zone));
        Assert.False(zone.IsScalar);
        Assert.Null(zone.Scalar);
        Assert.Equal("2.5", attrs.GetText("load"));
    }

    [Fact]
    public void Missing_attribute_has_no_text()
    {
        var attrs = Attributes.Parse("rack:r1");

        Assert.Null(attrs.GetText("zone"));
        Assert.False(attrs.TryGet("zone", out _));
        Assert.Null(Attributes.Empty.GetText("rack"));
    }

    [Fact]
    public void ToString_is_sorted_by_name_and_parses_back()
    {
        var attrs = Attributes.Parse(" zone : a ; rack:r1;cores:8.0");

        Assert.Equal("cores:8;rack:r1;zone:a", attrs.ToString());
        Assert.Equal(attrs, Attributes.Parse(attrs.ToString()));
    }

    [Fact]
    public void With_returns_a_copy_and_leaves_the_original_unchanged()
    {
        var attrs = Attributes.Parse("rack:r1");

        var changed = attrs.With("rack", AttributeValue.OfText("r2")).With("cores", AttributeValue.OfScalar(4));

        Assert.Equal("r1", attrs.GetText("rack"));
        Assert.Single(attrs);
        Assert.Equal("r2", changed.GetText("rack"));
        Assert.Equal("4", changed.GetText("cores"));
        ValidationAssert.Refuses("attributes", () => attrs.With("bad name", AttributeValue.OfText("x")));
    }

    [Fact]
    public void Equality_is_by_content()
    {
        var a = Attributes.Parse("rack:r1;cores:8");
        var b = Attributes.FromText([KeyValuePair.Create("cores", "8"), KeyValuePair.Create("rack", "r1")]);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Attributes.Parse("rack:r1;cores:9"));
        Assert.NotEqual(a, Attributes.Parse("rack:r1"));
        Assert.NotEqual(Attributes.Parse("cores:8"), Attributes.Create([KeyValuePair.Create("cores", AttributeValue.OfText("8"))]));
    }

    [Fact]
    public void Enumerates_pairs_in_name_order()
    {
        var attrs = Attributes.Parse("b:2;a:x");

        Assert.Equal(["a", "b"], attrs.Select(kv => kv.Key));
    }

    [Fact]
    public void Create_refuses_repeated_and_invalid_names_and_missing_values()
    {
        ValidationAssert.Refuses("attributes.rack", () => Attributes.Parse("rack:r1;rack:r2"));
        ValidationAssert.Refuses("attributes", () => Attributes.Parse("bad name:1"));
        ValidationAssert.Refuses("attributes", () => Attributes.Parse("novalue"));
        ValidationAssert.Refuses("attributes", () => Attributes.Parse(":x"));
        ValidationAssert.Refuses("attributes.rack", () => Attributes.Parse("rack:"));
        ValidationAssert.Refuses("attributes.rack", () => Attributes.Create([KeyValuePair.Create("rack", default(AttributeValue))]));
    }

    [Fact]
    public void AttributeValue_refuses_empty_text_and_non_finite_numbers()
    {
        ValidationAssert.Refuses("attribute", () => AttributeValue.OfText(""));
        ValidationAssert.Refuses("attribute", () => AttributeValue.OfText("  "));
        ValidationAssert.Refuses("attribute", () => AttributeValue.OfScalar(double.NaN));
        ValidationAssert.Refuses("attributes.cores", () => AttributeValue.OfScalar(double.PositiveInfinity, "attributes.cores"));
        ValidationAssert.Refuses("attribute", () => AttributeValue.Parse(""));
    }

    [Theory]
    [InlineData("8", true, "8")]
    [InlineData("2.50", true, "2.5")]
    [InlineData("-1", true, "-1")]
    [InlineData("1e3", true, "1000")]
    [InlineData("us-east-1a", false, "us-east-1a")]
    [InlineData("Infinity", false, "Infinity")]
    [InlineData(" r1 ", false, "r1")]
    public void AttributeValue_Parse_makes_numbers_scalars_and_anything_else_text(string text, bool scalar, string expectedText)
    {
        var value = AttributeValue.Parse(text);

        Assert.Equal(scalar, value.IsScalar);
        Assert.Equal(expectedText, value.Text);
        Assert.Equal(expectedText, value.ToString());
    }
}
