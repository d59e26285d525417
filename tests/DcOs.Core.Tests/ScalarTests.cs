using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class ScalarTests
{
    [Fact]
    public void Point_one_plus_point_two_is_exactly_point_three()
    {
        var sum = Scalar.FromDouble(0.1) + Scalar.FromDouble(0.2);

        Assert.Equal(Scalar.FromDouble(0.3), sum);
        Assert.Equal(300, sum.Milli);
        Assert.True(sum <= Scalar.FromDouble(0.3));
        Assert.Equal("0.3", sum.ToString());
    }

    [Theory]
    [InlineData(0.0004, 0)]
    [InlineData(0.0005, 1)]
    [InlineData(0.0006, 1)]
    [InlineData(0.001, 1)]
    [InlineData(0.0014, 1)]
    [InlineData(2.9994, 2999)]
    [InlineData(2.9996, 3000)]
    [InlineData(1024, 1024000)]
    [InlineData(0, 0)]
    public void Doubles_are_rounded_to_the_nearest_thousandth_half_away_from_zero(double value, long expectedMilli)
    {
        Assert.Equal(expectedMilli, Scalar.FromDouble(value).Milli);
    }

    [Fact]
    public void Negative_zero_is_zero()
    {
        Assert.True(Scalar.FromDouble(-0.0).IsZero);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(-0.001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(1e16)]
    [InlineData(double.MaxValue)]
    public void Invalid_doubles_are_refused_naming_the_field(double value)
    {
        ValidationAssert.Refuses("value", () => Scalar.FromDouble(value));
        ValidationAssert.Refuses("resources.cpus", () => Scalar.FromDouble(value, "resources.cpus"));
    }

    [Fact]
    public void Nan_negative_and_infinite_give_distinct_reasons()
    {
        var nan = ValidationAssert.Refuses("x", () => Scalar.FromDouble(double.NaN, "x"));
        var inf = ValidationAssert.Refuses("x", () => Scalar.FromDouble(double.PositiveInfinity, "x"));
        var neg = ValidationAssert.Refuses("x", () => Scalar.FromDouble(-2, "x"));

        Assert.Contains("NaN", nan.Reason, StringComparison.Ordinal);
        Assert.Contains("finite", inf.Reason, StringComparison.Ordinal);
        Assert.Contains("negative", neg.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Implicit_conversion_from_double_validates_too()
    {
        Scalar half = 0.5;
        Assert.Equal(500, half.Milli);
        ValidationAssert.Refuses("value", () => { Scalar s = -1.0; return s; });
    }

    [Fact]
    public void FromMilli_accepts_zero_and_positive_and_refuses_negative()
    {
        Assert.Equal(Scalar.Zero, Scalar.FromMilli(0));
        Assert.Equal(1.5, Scalar.FromMilli(1500).Value);
        ValidationAssert.Refuses("value", () => Scalar.FromMilli(-1));
        ValidationAssert.Refuses("mem", () => Scalar.FromMilli(-1, "mem"));
    }

    [Fact]
    public void Subtraction_floors_at_zero()
    {
        Assert.Equal(Scalar.Zero, Scalar.FromDouble(1) - Scalar.FromDouble(2));
        Assert.Equal(Scalar.FromDouble(0.7), Scalar.FromDouble(1) - Scalar.FromDouble(0.3));
    }

    [Fact]
    public void Addition_beyond_max_value_overflows_instead_of_wrapping()
    {
        Assert.Throws<OverflowException>(() => Scalar.MaxValue + Scalar.FromMilli(1));
    }

    [Fact]
    public void Comparison_operators_compare_by_value()
    {
        var one = Scalar.FromDouble(1);
        var two = Scalar.FromDouble(2);

        Assert.True(one < two);
        Assert.True(two > one);
        Assert.True(one <= Scalar.FromMilli(1000));
        Assert.True(one >= Scalar.FromMilli(1000));
        Assert.False(two <= one);
        Assert.False(one >= two);
        Assert.False(one > two);
        Assert.False(two < one);
        Assert.True(one != two);
        Assert.True(one == Scalar.FromMilli(1000));
        Assert.True(one.CompareTo(two) < 0);
        Assert.Equal(one.GetHashCode(), Scalar.FromMilli(1000).GetHashCode());
        Assert.True(one.Equals((object)Scalar.FromMilli(1000)));
        Assert.False(one.Equals((object)1.0));
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(300L, "0.3")]
    [InlineData(1L, "0.001")]
    [InlineData(2500L, "2.5")]
    [InlineData(1024000L, "1024")]
    [InlineData(1234567L, "1234.567")]
    public void ToString_is_the_shortest_exact_invariant_text(long milli, string expected)
    {
        Assert.Equal(expected, Scalar.FromMilli(milli).ToString());
    }

    [Fact]
    public void Zero_is_default_and_IsZero()
    {
        Assert.True(Scalar.Zero.IsZero);
        Assert.Equal(default, Scalar.Zero);
        Assert.False(Scalar.FromMilli(1).IsZero);
        Assert.Equal(0.0, Scalar.Zero.Value);
    }
}
