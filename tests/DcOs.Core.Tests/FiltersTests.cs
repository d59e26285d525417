using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class FiltersTests
{
    [Fact]
    public void Default_refuses_for_five_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), Filters.Default.Refuse);
        Assert.Equal(5.0, Filters.Default.RefuseSeconds);
        Assert.Equal(TimeSpan.FromSeconds(5), default(Filters).Refuse);
        Assert.Equal(TimeSpan.FromSeconds(5), Filters.DefaultRefuse);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(60.0)]
    [InlineData(3600.0)]
    public void Explicit_refusal_is_kept(double seconds)
    {
        var filters = new Filters(seconds);

        Assert.Equal(TimeSpan.FromSeconds(seconds), filters.Refuse);
        Assert.Equal(seconds, filters.RefuseSeconds);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(-0.001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Negative_nan_and_infinite_refusals_are_refused(double seconds)
    {
        ValidationAssert.Refuses("filters.refuseSeconds", () => new Filters(seconds));
    }
}
