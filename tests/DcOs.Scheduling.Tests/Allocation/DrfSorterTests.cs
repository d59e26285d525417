using DcOs.Core;
using DcOs.Scheduling.Allocation;

namespace DcOs.Scheduling.Tests.Allocation;

/// <summary>Mesos' sorter_tests.cpp WDRFSorter (scenario item 2) on the DRF sorter.</summary>
public sealed class DrfSorterTests
{
    private static ScalarVector V(string text) => ScalarVector.Of(Resources.Parse(text));

    private static string[] Order(DrfSorter sorter) => [.. sorter.Order().Select(sorter.NameOf)];

    [Fact]
    public void Weighted_drf_orders_by_share_divided_by_weight()
    {
        var sorter = new DrfSorter();
        sorter.SetTotal(V("cpus:100;mem:100"));
        var a = sorter.Add("a");
        sorter.Allocated(a, V("cpus:5;mem:5"));
        var b = sorter.Add("b", 2);
        sorter.Allocated(b, V("cpus:6;mem:6"));
        Assert.Equal(["b", "a"], Order(sorter));

        var c = sorter.Add("c");
        sorter.Allocated(c, V("cpus:4;mem:4"));
        Assert.Equal(["b", "c", "a"], Order(sorter));

        var d = sorter.Add("d", 10);
        sorter.Allocated(d, V("cpus:10;mem:20"));
        Assert.Equal(["d", "b", "c", "a"], Order(sorter));

        sorter.Remove(b);
        sorter.Allocated(d, V("cpus:10;mem:25"));
        Assert.Equal(["c", "d", "a"], Order(sorter));

        var e = sorter.Add("e", 0.1);
        sorter.Allocated(e, V("cpus:1;mem:1"));
        Assert.Equal(["c", "d", "a", "e"], Order(sorter));
    }

    [Fact]
    public void A_new_total_reorders_clients()
    {
        var sorter = new DrfSorter();
        sorter.SetTotal(V("cpus:10;mem:100"));
        var a = sorter.Add("a");
        var b = sorter.Add("b");
        sorter.Allocated(a, V("cpus:2;mem:1"));
        sorter.Allocated(b, V("cpus:1;mem:2"));
        Assert.Equal(["b", "a"], Order(sorter));
        sorter.SetTotal(V("cpus:100;mem:10"));
        Assert.Equal(["a", "b"], Order(sorter));
    }

    [Fact]
    public void Equal_shares_go_to_the_client_with_fewer_allocations()
    {
        var sorter = new DrfSorter();
        sorter.SetTotal(V("cpus:10;mem:10"));
        var a = sorter.Add("a");
        var b = sorter.Add("b");
        sorter.Allocated(a, V("cpus:1"));
        sorter.Unallocated(a, V("cpus:1"));
        Assert.Equal(["b", "a"], Order(sorter));
    }

    [Fact]
    public void Inactive_clients_are_left_out_of_the_order()
    {
        var sorter = new DrfSorter();
        sorter.SetTotal(V("cpus:10"));
        var a = sorter.Add("a");
        sorter.Add("b");
        sorter.SetActive(a, false);
        Assert.Equal(["b"], Order(sorter));
        sorter.SetActive(a, true);
        Assert.Equal(["a", "b"], Order(sorter));
    }
}
