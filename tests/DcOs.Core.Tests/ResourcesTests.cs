using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class ResourcesTests
{
    private static Resources R(string text) => Resources.Parse(text);

    [Fact]
    public void Point_one_plus_point_two_cpus_fits_in_and_equals_point_three()
    {
        var sum = R("cpus:0.1") + R("cpus:0.2");

        Assert.True(sum.FitsIn(R("cpus:0.3")));
        Assert.True(R("cpus:0.3").FitsIn(sum));
        Assert.Equal(R("cpus:0.3"), sum);
        Assert.Equal(0.3, sum.Cpus);
    }

    [Fact]
    public void Scalars_from_doubles_are_rounded_to_three_decimals()
    {
        Assert.True(Resources.FromScalars(cpus: 0.0004).IsEmpty);
        Assert.Equal(R("cpus:0.001"), Resources.FromScalars(cpus: 0.0005));
        Assert.Equal(R("cpus:0.3"), Resources.FromScalars(cpus: 0.1 + 0.2));
        Assert.Equal(R("mem:0.001"), R("mem:0.0005"));
        Assert.True(R("mem:0.0004").IsEmpty);
    }

    [Fact]
    public void Add_sums_scalars_and_unions_ranges_and_sets_per_key()
    {
        var a = R("cpus:1;mem:512;ports:[31000-31009];gpu_ids:{a}");
        var b = R("cpus:0.5;disk:100;ports:[31010-31019];gpu_ids:{b}");

        var sum = a + b;

        Assert.Equal(R("cpus:1.5;mem:512;disk:100;ports:[31000-31019];gpu_ids:{a,b}"), sum);
        Assert.Equal(sum, a.Add(b));
        Assert.Equal(sum, b + a);
    }

    [Fact]
    public void Add_of_one_resource_and_of_an_empty_one()
    {
        var a = R("cpus:1");

        Assert.Equal(R("cpus:3"), a.Add(Resource.OfScalar("cpus", 2.0)));
        Assert.Same(a, a.Add(Resource.OfScalar("cpus", 0.0)));
        Assert.Same(a, a + Resources.Empty);
        Assert.Same(a, Resources.Empty + a);
    }

    [Fact]
    public void Resources_are_immutable()
    {
        var a = R("cpus:2;ports:[1-10]");
        var b = R("cpus:1;ports:[20-30]");
        var aText = a.ToString();
        var bText = b.ToString();

        _ = a + b;
        _ = a - b;
        _ = a - R("ports:[3-4]");
        _ = a.Flatten();
        _ = a.AllocatableTo("web");

        Assert.Equal(aText, a.ToString());
        Assert.Equal(bText, b.ToString());
    }

    [Fact]
    public void Subtract_floors_scalars_at_zero_and_drops_emptied_entries()
    {
        Assert.Equal(R("mem:512"), R("cpus:1;mem:512") - R("cpus:2"));
        Assert.Equal(R("cpus:0.7"), R("cpus:1") - R("cpus:0.3"));
        Assert.True((R("cpus:1") - R("cpus:1")).IsEmpty);
    }

    [Fact]
    public void Subtract_splits_ranges_and_removes_set_items()
    {
        var have = R("ports:[31000-31010];gpu_ids:{a,b,c}");

        var left = have - R("ports:[31005];gpu_ids:{b}");

        Assert.Equal(R("ports:[31000-31004, 31006-31010];gpu_ids:{a,c}"), left);
    }

    [Fact]
    public void Subtract_ignores_keys_that_are_absent_or_of_another_kind_or_role()
    {
        var have = R("cpus:2;disk(db):100");

        Assert.Equal(have, have - R("mem:100"));
        Assert.Equal(have, have - R("disk:100"));
        Assert.Equal(have, have - R("disk(web):100"));
        Assert.Equal(R("cpus:2"), have - R("disk(db):100"));
        Assert.Same(have, have - Resources.Empty);
        Assert.Same(Resources.Empty, Resources.Empty - have);
    }

    [Fact]
    public void Contains_and_FitsIn_compare_key_by_key()
    {
        var agent = R("cpus:4;mem:4096;ports:[31000-32000];gpu_ids:{a,b}");

        Assert.True(R("cpus:4;mem:1024").FitsIn(agent));
        Assert.True(agent.Contains(R("ports:[31000-31001];gpu_ids:{b}")));
        Assert.True(Resources.Empty.FitsIn(agent));
        Assert.True(agent.FitsIn(agent));
        Assert.False(R("cpus:4.001").FitsIn(agent));
        Assert.False(R("disk:1").FitsIn(agent));
        Assert.False(R("ports:[30999]").FitsIn(agent));
        Assert.False(R("gpu_ids:{c}").FitsIn(agent));
        Assert.False(agent.FitsIn(R("cpus:4")));
        Assert.False(R("cpus:1").FitsIn(Resources.Empty));
    }

    [Fact]
    public void Contains_is_role_aware()
    {
        var reserved = R("cpus(web):2");
        var unreserved = R("cpus:2");

        Assert.False(R("cpus:1").FitsIn(reserved));
        Assert.False(R("cpus(web):1").FitsIn(unreserved));
        Assert.True(R("cpus(web):1").FitsIn(reserved));
        Assert.False(R("cpus(web,r1):1").FitsIn(reserved));
    }

    [Fact]
    public void IsEmpty_only_for_a_bag_with_nothing_in_it()
    {
        Assert.True(Resources.Empty.IsEmpty);
        Assert.True(R("").IsEmpty);
        Assert.True(R("cpus:0;ports:[];gpu_ids:{}").IsEmpty);
        Assert.True(Resources.FromScalars().IsEmpty);
        Assert.False(R("cpus:0.001").IsEmpty);
        Assert.Empty(Resources.Empty);
    }

    [Fact]
    public void DominantShare_is_the_largest_share_of_any_scalar_in_the_total()
    {
        var total = R("cpus:4;mem:1024;disk:1000;ports:[1-100]");

        Assert.Equal(0.5, R("cpus:1;mem:512").DominantShare(total), 12);
        Assert.Equal(0.25, R("cpus:1;mem:128").DominantShare(total), 12);
        Assert.Equal(1.0, total.DominantShare(total), 12);
        Assert.Equal(0.0, Resources.Empty.DominantShare(total));
        Assert.Equal(0.1, R("cpus:0.4;gpus:1;ports:[1-100]").DominantShare(total), 12);
    }

    [Fact]
    public void DominantShare_sums_every_role_of_the_total_and_of_the_bag()
    {
        var total = R("cpus:2;cpus(web):2");

        Assert.Equal(0.25, R("cpus(web):1").DominantShare(total), 12);
        Assert.Equal(0.75, R("cpus:1;cpus(web):2").DominantShare(total), 12);
    }

    [Fact]
    public void Roles_and_reservations_are_separate_keys()
    {
        var bag = R("disk:100;disk(role1):50;disk(role1,r1):25");

        Assert.Equal(3, bag.Count);
        Assert.Equal(175, bag.DiskMb);
        Assert.Equal(["*", "role1", "role1"], bag.Select(r => r.Role));
        Assert.Equal([null, null, "r1"], bag.Select(r => r.Reservation));
        Assert.Equal(R("disk:100;disk(role1):60;disk(role1,r1):25"), bag + R("disk(role1):10"));
    }

    [Fact]
    public void AllocatableTo_keeps_unreserved_entries_and_those_reserved_for_the_role()
    {
        var bag = R("cpus:1;cpus(web):2;cpus(db):4;mem(web,r1):64;ports(db):[1-2]");

        Assert.Equal(R("cpus:1;cpus(web):2;mem(web,r1):64"), bag.AllocatableTo("web"));
        Assert.Equal(R("cpus:1;cpus(db):4;ports(db):[1-2]"), bag.AllocatableTo("db"));
        Assert.Equal(R("cpus:1"), bag.AllocatableTo("*"));
        Assert.Equal(R("cpus:1"), bag.AllocatableTo("other"));
    }

    [Fact]
    public void Flatten_folds_every_role_into_unreserved()
    {
        var bag = R("cpus:1;cpus(web):2;cpus(web,r1):0.5;ports:[1-2];ports(db):[3-4];gpu_ids(ml):{a};gpu_ids:{b}");

        var flat = bag.Flatten();

        Assert.Equal(R("cpus:3.5;ports:[1-4];gpu_ids:{a,b}"), flat);
        Assert.All(flat, r => Assert.Equal(ResourceNames.AnyRole, r.Role));
        Assert.All(flat, r => Assert.Null(r.Reservation));
    }

    [Fact]
    public void Parse_and_ToString_round_trip_the_mesos_text_form()
    {
        const string text = "cpus:2;mem:1024;disk(role1):100;ports:[31000-32000];gpu_ids:{a,b}";

        var bag = R(text);

        Assert.Equal(2, bag.Cpus);
        Assert.Equal(1024, bag.MemMb);
        Assert.Equal(100, bag.DiskMb);
        Assert.Equal(RangeSet.Of(31000, 32000), bag.Ports);
        Assert.Equal("cpus:2;disk(role1):100;gpu_ids:{a,b};mem:1024;ports:[31000-32000]", bag.ToString());
        Assert.Equal(bag, R(bag.ToString()));
        Assert.Equal(bag.ToString(), R(bag.ToString()).ToString());
    }

    [Theory]
    [InlineData("cpus:0.5")]
    [InlineData("disk(role1,res-1):100")]
    [InlineData("ports(web):[80-81, 443]")]
    [InlineData("gpus:1;mem:0.001")]
    [InlineData("cpus:1;cpus(a):2;cpus(a,b):3;cpus(b):4")]
    [InlineData("")]
    public void ToString_is_read_back_by_Parse(string text)
    {
        var bag = R(text);

        Assert.Equal(bag, R(bag.ToString()));
        Assert.Equal(text, bag.ToString());
    }

    [Fact]
    public void Parse_tolerates_spaces_and_empty_parts_and_adds_repeated_keys()
    {
        Assert.Equal(R("cpus:3;mem:10"), R(" cpus : 1 ; ; cpus:2;mem:10; "));
    }

    [Fact]
    public void Accessors_sum_every_role()
    {
        var bag = R("cpus:1;cpus(web):2;mem:10;mem(web):5;disk:7;gpus:1;gpus(ml):2;ports:[1-2];ports(web):[5-6]");

        Assert.Equal(3, bag.Cpus);
        Assert.Equal(15, bag.MemMb);
        Assert.Equal(7, bag.DiskMb);
        Assert.Equal(3, bag.Gpus);
        Assert.Equal(R("ports:[1-2, 5-6]").Ports, bag.Ports);
        Assert.Equal(Scalar.FromDouble(3), bag.GetScalar("cpus"));
        Assert.Equal(Scalar.Zero, bag.GetScalar("absent"));
        Assert.Equal(Scalar.Zero, bag.GetScalar("ports"));
        Assert.Equal(RangeSet.Empty, bag.GetRanges("cpus"));
    }

    [Fact]
    public void Entries_are_enumerated_in_key_order()
    {
        var bag = Resources.Of(
            Resource.OfScalar("mem", 1.0),
            Resource.OfScalar("cpus", 1.0, "web"),
            Resource.OfScalar("cpus", 1.0),
            Resource.OfScalar("cpus", 1.0, "web", "r1"));

        Assert.Equal(["cpus", "cpus(web)", "cpus(web,r1)", "mem"], bag.Select(r => r.ToString().Split(':')[0]));
        Assert.Equal("cpus(web)", bag[1].ToString().Split(':')[0]);
        Assert.Equal(4, bag.Count);
    }

    [Fact]
    public void Adding_overlapping_port_ranges_is_refused()
    {
        var e = ValidationAssert.Refuses("resources.ports", () => R("ports:[31000-31010]") + R("ports:[31005-31020]"));
        Assert.Contains("overlap", e.Reason, StringComparison.Ordinal);
        ValidationAssert.Refuses("resources.ports", () => R("ports:[1-5];ports:[5]"));
        ValidationAssert.Refuses("resources.ports", () => R("ports:[1-5, 3-9]"));
        ValidationAssert.Refuses("resources.ports", () => R("ports:[1-5]").Add(Resource.OfRanges("ports", RangeSet.Of(5, 6))));
    }

    [Fact]
    public void Adding_repeated_set_items_is_refused()
    {
        ValidationAssert.Refuses("resources.gpu_ids", () => R("gpu_ids:{a,b}") + R("gpu_ids:{b}"));
        ValidationAssert.Refuses("resources.gpu_ids", () => R("gpu_ids:{a,a}"));
    }

    [Fact]
    public void Same_name_with_two_kinds_is_refused()
    {
        ValidationAssert.Refuses("resources.cpus", () => R("cpus:1") + Resources.Of(Resource.OfSet("cpus", ValueSet.Create(["a"]))));
        ValidationAssert.Refuses("resources.ports", () => R("ports:[1-2];ports:3"));
        ValidationAssert.Refuses("resources.cpus", () => R("cpus:1;cpus(web):{a}"));
        ValidationAssert.Refuses("resources.ports", () => R("ports(web):[1-2]") + R("ports:3"));
    }

    [Theory]
    [InlineData("cpus:-1", "resources.cpus")]
    [InlineData("cpus:NaN", "resources.cpus")]
    [InlineData("mem:Infinity", "resources.mem")]
    [InlineData("mem:-Infinity", "resources.mem")]
    [InlineData("cpus:abc", "resources.cpus")]
    [InlineData("cpus:", "resources.cpus")]
    [InlineData("cpus", "resources")]
    [InlineData(":1", "resources")]
    [InlineData("cpus(web:1", "resources")]
    [InlineData("gpu_ids:{a,b", "resources.gpu_ids")]
    [InlineData("ports:[1-2", "resources.ports")]
    [InlineData("ports:[2-1]", "resources.ports")]
    [InlineData("cpus(..):1", "resource.role")]
    [InlineData("cpus(-x):1", "resource.role")]
    [InlineData("cpus(a b):1", "resource.role")]
    [InlineData("cpus(*,r1):1", "resource.reservation")]
    [InlineData("cpus(web,../x):1", "resource.reservation")]
    [InlineData("c pu:1", "resource.name")]
    [InlineData("(web):1", "resource.name")]
    public void Parse_refuses_malformed_text_naming_the_field(string text, string field)
    {
        ValidationAssert.Refuses(field, () => R(text));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Invalid_scalar_amounts_are_refused_naming_the_resource(double value)
    {
        ValidationAssert.Refuses("resources.cpus", () => Resource.OfScalar("cpus", value));
        ValidationAssert.Refuses("resources.gpus", () => Resource.OfScalar("gpus", value, "ml"));
        ValidationAssert.Refuses("resources.cpus", () => Resources.FromScalars(cpus: value));
        ValidationAssert.Refuses("resources.mem", () => Resources.FromScalars(cpus: 1, memMb: value));
        ValidationAssert.Refuses("resources.disk", () => Resources.FromScalars(diskMb: value));
        ValidationAssert.Refuses("resources.gpus", () => Resources.FromScalars(gpus: value));
    }

    [Fact]
    public void Resource_constructors_validate_name_role_and_reservation()
    {
        ValidationAssert.Refuses("resource.name", () => Resource.OfScalar("", 1.0));
        ValidationAssert.Refuses("resource.name", () => Resource.OfScalar(new string('x', 65), Scalar.FromDouble(1)));
        ValidationAssert.Refuses("resource.role", () => Resource.OfRanges("ports", RangeSet.Of(1, 2), ".."));
        ValidationAssert.Refuses("resource.role", () => Resource.OfSet("ids", ValueSet.Create(["a"]), ""));
        ValidationAssert.Refuses("resource.reservation", () => Resource.OfScalar("cpus", 1.0, "*", "r1"));
        ValidationAssert.Refuses("resource.reservation", () => Resource.OfScalar("cpus", 1.0, "web", "a/b"));
        Assert.Equal("disk(team/db,r-1):10", Resource.OfScalar("disk", 10.0, "team/db", "r-1").ToString());
    }

    [Fact]
    public void FromScalars_builds_the_common_shape_and_leaves_zeros_out()
    {
        var bag = Resources.FromScalars(cpus: 2, memMb: 1024, diskMb: 0, gpus: 1);

        Assert.Equal(R("cpus:2;mem:1024;gpus:1"), bag);
        Assert.Equal(3, bag.Count);
    }

    [Fact]
    public void Resource_equality_covers_key_kind_and_value()
    {
        var a = Resource.OfScalar("cpus", 1.0);

        Assert.Equal(a, Resource.OfScalar("cpus", Scalar.FromMilli(1000)));
        Assert.Equal(a.GetHashCode(), Resource.OfScalar("cpus", 1.0).GetHashCode());
        Assert.NotEqual(a, Resource.OfScalar("cpus", 2.0));
        Assert.NotEqual(a, Resource.OfScalar("cpus", 1.0, "web"));
        Assert.True(a.SameKey(Resource.OfScalar("cpus", 5.0)));
        Assert.False(a.SameKey(Resource.OfScalar("cpus", 1.0, "web")));
        Assert.False(Resource.OfSet("x", ValueSet.Create(["a"])).Equals(Resource.OfRanges("x", RangeSet.Of(1, 1))));
        Assert.True(Resource.OfRanges("ports", RangeSet.Empty).IsEmpty);
        Assert.True(Resource.OfSet("ids", ValueSet.Empty).IsEmpty);
        Assert.Equal(ResourceKind.Set, Resource.OfSet("ids", ValueSet.Empty).Kind);
    }

    [Fact]
    public void Bags_with_the_same_entries_are_equal_and_hash_alike()
    {
        var a = R("cpus:1;mem:2");
        var b = R("mem:2;cpus:1");

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.Equals((object)b));
        Assert.NotEqual(a, R("cpus:1;mem:3"));
        Assert.False(a.Equals(null));
    }
}
