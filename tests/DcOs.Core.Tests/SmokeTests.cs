using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Point_one_plus_point_two_fits_in_point_three()
    {
        var a = Resources.Parse("cpus:0.1") + Resources.Parse("cpus:0.2");
        Assert.True(a.FitsIn(Resources.Parse("cpus:0.3")));
    }
}
