using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class ConstraintTests
{
    /// <summary>
    /// The agents the table refers to by name. a1..a4 carry text attributes (rack, jdk) and a scalar one (cores);
    /// "bare" has no zone, region or attribute at all.
    /// </summary>
    private static readonly Dictionary<string, AgentInfo> Agents = new()
    {
        ["a1"] = Agent("a1.example", "z1", "r1", "rack:rack-1;jdk:7;cores:8"),
        ["a2"] = Agent("a2.example", "z1", "r1", "rack:rack-1;jdk:8;cores:4"),
        ["a3"] = Agent("a3.example", "z2", "r1", "rack:rack-2;jdk:7;cores:8"),
        ["a4"] = Agent("a4.example", "z3", "r2", "rack:rack-3;cores:2.5"),
        ["bare"] = Agent("bare.example", null, null, ""),
    };

    private static AgentInfo Agent(string host, string? zone, string? region, string attributes) => new()
    {
        Hostname = host,
        Zone = zone,
        Region = region,
        Attributes = Attributes.Parse(attributes),
    };

    private static bool Satisfied(string constraint, string candidate, string placed)
    {
        var c = PlacementConstraint.Parse(constraint);
        var targets = placed.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(IPlacementTarget (n) => Agents[n]).ToList();
        return c.IsSatisfiedBy(Agents[candidate], targets);
    }

    [Theory]
    // No task placed yet.
    [InlineData("hostname:UNIQUE", "a1", "", true)]
    [InlineData("@zone:UNIQUE", "a1", "", true)]
    // One task placed.
    [InlineData("hostname:UNIQUE", "a1", "a1", false)]
    [InlineData("hostname:UNIQUE", "a2", "a1", true)]
    [InlineData("@zone:UNIQUE", "a2", "a1", false)]
    [InlineData("@region:UNIQUE", "a3", "a1", false)]
    [InlineData("rack:UNIQUE", "a2", "a1", false)]
    [InlineData("rack:UNIQUE", "a3", "a1", true)]
    [InlineData("cores:UNIQUE", "a3", "a1", false)]
    // Several tasks placed.
    [InlineData("@hostname:UNIQUE", "a1", "a2,a3", true)]
    [InlineData("@hostname:UNIQUE", "a3", "a2,a3", false)]
    [InlineData("@zone:UNIQUE", "a3", "a1,a2", true)]
    [InlineData("@region:UNIQUE", "a4", "a1,a3", true)]
    [InlineData("rack:UNIQUE", "a3", "a1,a4", true)]
    [InlineData("cores:UNIQUE", "a2", "a1,a4", true)]
    [InlineData("cores:UNIQUE", "a4", "a1,a2,a4", false)]
    public void Unique(string constraint, string candidate, string placed, bool expected) =>
        Assert.Equal(expected, Satisfied(constraint, candidate, placed));

    [Theory]
    [InlineData("rack:CLUSTER:rack-1", "a1", "", true)]
    [InlineData("rack:CLUSTER:rack-1", "a3", "", false)]
    [InlineData("rack:CLUSTER", "a3", "", true)]
    [InlineData("@zone:CLUSTER:z2", "a3", "", true)]
    [InlineData("rack:CLUSTER:rack-1", "a2", "a1", true)]
    [InlineData("rack:CLUSTER", "a2", "a1", true)]
    [InlineData("rack:CLUSTER", "a3", "a1", false)]
    [InlineData("hostname:CLUSTER", "a2", "a1", false)]
    [InlineData("@hostname:CLUSTER:a1.example", "a1", "a1", true)]
    [InlineData("@zone:CLUSTER:z1", "a2", "a1", true)]
    [InlineData("@region:CLUSTER:r2", "a1", "a4", false)]
    [InlineData("cores:CLUSTER:8", "a3", "a1", true)]
    [InlineData("cores:CLUSTER:8", "a2", "a1", false)]
    [InlineData("cores:CLUSTER", "a4", "a1", false)]
    [InlineData("rack:CLUSTER", "a2", "a1,a2", true)]
    [InlineData("rack:CLUSTER", "a3", "a1,a2", false)]
    [InlineData("@region:CLUSTER", "a3", "a1,a2", true)]
    [InlineData("@region:CLUSTER", "a4", "a1,a2", false)]
    [InlineData("hostname:CLUSTER:a1.example", "a1", "a1,a1", true)]
    public void Cluster(string constraint, string candidate, string placed, bool expected) =>
        Assert.Equal(expected, Satisfied(constraint, candidate, placed));

    [Theory]
    [InlineData("rack:GROUP_BY", "a1", "", true)]
    [InlineData("rack:GROUP_BY:2", "a1", "", true)]
    [InlineData("rack:GROUP_BY", "a2", "a1", true)]
    [InlineData("rack:GROUP_BY:2", "a2", "a1", false)]
    [InlineData("rack:GROUP_BY:2", "a3", "a1", true)]
    [InlineData("@zone:GROUP_BY:2", "a2", "a1", false)]
    [InlineData("cores:GROUP_BY", "a3", "a1", true)]
    [InlineData("rack:GROUP_BY", "a1", "a1,a3", true)]
    [InlineData("rack:GROUP_BY:2", "a1", "a1,a3", true)]
    [InlineData("rack:GROUP_BY:3", "a1", "a1,a3", false)]
    [InlineData("rack:GROUP_BY:3", "a4", "a1,a3", true)]
    [InlineData("rack:GROUP_BY", "a1", "a1,a2,a3", false)]
    [InlineData("rack:GROUP_BY", "a3", "a1,a2,a3", true)]
    [InlineData("rack:GROUP_BY", "a4", "a1,a2,a3", true)]
    [InlineData("rack:GROUP_BY:2", "a2", "a1,a2,a3", false)]
    [InlineData("@zone:GROUP_BY", "a3", "a1,a2", true)]
    [InlineData("@region:GROUP_BY", "a1", "a1,a4", true)]
    [InlineData("@region:GROUP_BY", "a1", "a1,a3,a4", false)]
    [InlineData("@region:GROUP_BY", "a4", "a1,a3,a4", true)]
    [InlineData("hostname:GROUP_BY", "a1", "a1,a2", true)]
    [InlineData("hostname:GROUP_BY", "a1", "a1,a1,a2", false)]
    [InlineData("cores:GROUP_BY", "a3", "a1,a1,a2", false)]
    [InlineData("cores:GROUP_BY", "a2", "a1,a1,a2", true)]
    // A placed task on an agent without the attribute forms a group of its own, as in Marathon.
    [InlineData("rack:GROUP_BY", "a1", "a1,bare", true)]
    [InlineData("rack:GROUP_BY", "a1", "a1,a2,bare", false)]
    [InlineData("rack:GROUP_BY:2", "a1", "a1,bare", true)]
    public void Group_by(string constraint, string candidate, string placed, bool expected) =>
        Assert.Equal(expected, Satisfied(constraint, candidate, placed));

    [Theory]
    [InlineData("jdk:LIKE:7", "a1", "", true)]
    [InlineData("jdk:LIKE:7", "a2", "", false)]
    [InlineData("jdk:LIKE:[78]", "a2", "", true)]
    [InlineData("rack:LIKE:rack", "a1", "", false)]
    [InlineData("rack:LIKE:rack-[12]", "a3", "", true)]
    [InlineData("rack:LIKE:rack-[12]", "a4", "", false)]
    [InlineData("hostname:LIKE:a[0-9]\\.example", "a1", "", true)]
    [InlineData("@hostname:LIKE:a1.*", "a2", "", false)]
    [InlineData("@zone:LIKE:z[12]", "a3", "", true)]
    [InlineData("@zone:LIKE:z[12]", "a4", "", false)]
    [InlineData("@region:LIKE:r1", "a1", "", true)]
    [InlineData("@region:LIKE:r1", "a4", "", false)]
    [InlineData("cores:LIKE:8", "a1", "", true)]
    [InlineData("cores:LIKE:2\\.5", "a4", "", true)]
    [InlineData("cores:LIKE:8", "a2", "", false)]
    [InlineData("jdk:LIKE:7", "a1", "a2", true)]
    [InlineData("jdk:LIKE:7", "a1", "a1,a2,a3", true)]
    [InlineData("jdk:LIKE:7", "a2", "a1,a3", false)]
    public void Like_matches_the_whole_value(string constraint, string candidate, string placed, bool expected) =>
        Assert.Equal(expected, Satisfied(constraint, candidate, placed));

    [Theory]
    [InlineData("jdk:UNLIKE:7", "a1", "", false)]
    [InlineData("jdk:UNLIKE:7", "a2", "", true)]
    [InlineData("rack:UNLIKE:rack", "a1", "", true)]
    [InlineData("hostname:UNLIKE:a1\\.example", "a1", "", false)]
    [InlineData("@hostname:UNLIKE:a1\\.example", "a2", "", true)]
    [InlineData("@zone:UNLIKE:z1", "a3", "", true)]
    [InlineData("@zone:UNLIKE:z1", "a1", "", false)]
    [InlineData("@region:UNLIKE:r1", "a4", "", true)]
    [InlineData("@region:UNLIKE:r1", "a1", "", false)]
    [InlineData("cores:UNLIKE:8", "a2", "", true)]
    [InlineData("cores:UNLIKE:8", "a1", "", false)]
    [InlineData("rack:UNLIKE:rack-1", "a3", "a1", true)]
    [InlineData("rack:UNLIKE:rack-1", "a2", "a1,a3", false)]
    public void Unlike_refuses_a_whole_match(string constraint, string candidate, string placed, bool expected) =>
        Assert.Equal(expected, Satisfied(constraint, candidate, placed));

    [Theory]
    [InlineData("rack:MAX_PER:2", "a1", "", true)]
    [InlineData("hostname:MAX_PER:1", "a1", "", true)]
    [InlineData("rack:MAX_PER:2", "a1", "a2", true)]
    [InlineData("rack:MAX_PER:1", "a2", "a1", false)]
    [InlineData("hostname:MAX_PER:1", "a1", "a1", false)]
    [InlineData("@hostname:MAX_PER:1", "a2", "a1", true)]
    [InlineData("@zone:MAX_PER:2", "a2", "a1", true)]
    [InlineData("cores:MAX_PER:1", "a3", "a1", false)]
    [InlineData("cores:MAX_PER:1", "a2", "a1", true)]
    [InlineData("rack:MAX_PER:2", "a1", "a1,a2", false)]
    [InlineData("rack:MAX_PER:2", "a3", "a1,a2", true)]
    [InlineData("@zone:MAX_PER:2", "a2", "a1,a1", false)]
    [InlineData("@region:MAX_PER:3", "a4", "a1,a2,a3", true)]
    [InlineData("@region:MAX_PER:3", "a3", "a1,a2,a3", false)]
    [InlineData("@region:MAX_PER:4", "a3", "a1,a2,a3", true)]
    public void Max_per(string constraint, string candidate, string placed, bool expected) =>
        Assert.Equal(expected, Satisfied(constraint, candidate, placed));

    [Theory]
    [InlineData("rack:IS:rack-1", "a1", "", true)]
    [InlineData("rack:IS:rack-1", "a3", "", false)]
    [InlineData("rack:IS:rack", "a1", "", false)]
    [InlineData("hostname:IS:a1.example", "a1", "", true)]
    [InlineData("hostname:IS:a1.example", "a2", "", false)]
    [InlineData("@hostname:IS:a2.example", "a2", "a1", true)]
    [InlineData("@zone:IS:z2", "a3", "a1", true)]
    [InlineData("@zone:IS:z2", "a1", "a3", false)]
    [InlineData("@region:IS:r2", "a4", "a1,a2,a3", true)]
    [InlineData("cores:IS:8", "a1", "a1,a3", true)]
    [InlineData("cores:IS:2.5", "a4", "", true)]
    [InlineData("cores:IS:8.0", "a1", "", false)]
    public void Is_compares_the_exact_text(string constraint, string candidate, string placed, bool expected) =>
        Assert.Equal(expected, Satisfied(constraint, candidate, placed));

    [Theory]
    [InlineData("rack:UNIQUE", false)]
    [InlineData("rack:CLUSTER", false)]
    [InlineData("rack:CLUSTER:rack-1", false)]
    [InlineData("rack:GROUP_BY", false)]
    [InlineData("rack:GROUP_BY:2", false)]
    [InlineData("rack:LIKE:.*", false)]
    [InlineData("rack:UNLIKE:.*", true)]
    [InlineData("rack:UNLIKE:rack-1", true)]
    [InlineData("rack:MAX_PER:5", false)]
    [InlineData("rack:IS:rack-1", false)]
    [InlineData("@zone:UNIQUE", false)]
    [InlineData("@zone:LIKE:.*", false)]
    [InlineData("@zone:UNLIKE:z1", true)]
    [InlineData("@region:CLUSTER", false)]
    [InlineData("@region:UNLIKE:r1", true)]
    public void A_missing_attribute_satisfies_only_unlike(string constraint, bool expected)
    {
        Assert.Equal(expected, Satisfied(constraint, "bare", ""));
        Assert.Equal(expected, Satisfied(constraint, "bare", "a1"));
        Assert.Equal(expected, Satisfied(constraint, "bare", "bare,bare"));
    }

    // The following cases are Marathon's ConstraintsTest.

    [Fact]
    public void Marathon_hostname_unique_rejects_a_host_already_running_a_task_of_the_app()
    {
        var constraint = PlacementConstraint.FromParts(["hostname", "UNIQUE"]);
        var host1 = new AgentInfo { Hostname = "host1" };
        var host2 = new AgentInfo { Hostname = "host2" };
        IPlacementTarget[] placed = [host1];

        Assert.False(constraint.IsSatisfiedBy(host1, placed));
        Assert.True(constraint.IsSatisfiedBy(host2, placed));
        Assert.True(constraint.IsSatisfiedBy(host1, []));
    }

    [Fact]
    public void Marathon_rackid_group_by_2_with_one_task_on_rack_1_rejects_rack_1_and_accepts_rack_2()
    {
        var constraint = PlacementConstraint.FromParts(["rackid", "GROUP_BY", "2"]);
        var rack1 = new AgentInfo { Hostname = "host1", Attributes = Attributes.Parse("rackid:rack-1") };
        var rack1Other = new AgentInfo { Hostname = "host3", Attributes = Attributes.Parse("rackid:rack-1") };
        var rack2 = new AgentInfo { Hostname = "host2", Attributes = Attributes.Parse("rackid:rack-2") };
        IPlacementTarget[] placed = [rack1];

        Assert.False(constraint.IsSatisfiedBy(rack1Other, placed));
        Assert.False(constraint.IsSatisfiedBy(rack1, placed));
        Assert.True(constraint.IsSatisfiedBy(rack2, placed));
    }

    [Fact]
    public void Marathon_jdk_like_7_rejects_an_agent_without_jdk_and_jdk_unlike_7_accepts_it()
    {
        var noJdk = new AgentInfo { Hostname = "host1", Attributes = Attributes.Parse("rackid:rack-1") };
        var jdk7 = new AgentInfo { Hostname = "host2", Attributes = Attributes.Parse("jdk:7") };

        Assert.False(PlacementConstraint.FromParts(["jdk", "LIKE", "7"]).IsSatisfiedBy(noJdk, []));
        Assert.True(PlacementConstraint.FromParts(["jdk", "UNLIKE", "7"]).IsSatisfiedBy(noJdk, []));
        Assert.True(PlacementConstraint.FromParts(["jdk", "LIKE", "7"]).IsSatisfiedBy(jdk7, []));
        Assert.False(PlacementConstraint.FromParts(["jdk", "UNLIKE", "7"]).IsSatisfiedBy(jdk7, []));
    }

    [Fact]
    public void An_offer_is_a_placement_target_too()
    {
        var offer = new Offer
        {
            Id = new OfferId("o1"),
            FrameworkId = new FrameworkId("fw"),
            AgentId = new AgentId("ag1"),
            Hostname = "a1.example",
            Resources = Resources.Parse("cpus:1"),
            Zone = "z1",
            Region = "r1",
            Attributes = Attributes.Parse("rack:rack-1"),
        };

        Assert.False(PlacementConstraint.Parse("hostname:UNIQUE").IsSatisfiedBy(offer, [Agents["a1"]]));
        Assert.True(PlacementConstraint.Parse("@zone:IS:z1").IsSatisfiedBy(offer, []));
        Assert.Equal("rack-1", PlacementConstraint.FieldValue(offer, "rack"));
        Assert.Equal("r1", PlacementConstraint.FieldValue(offer, "@region"));
    }

    [Fact]
    public void FieldValue_reads_hostname_zone_region_and_attributes()
    {
        var a1 = Agents["a1"];

        Assert.Equal("a1.example", PlacementConstraint.FieldValue(a1, "hostname"));
        Assert.Equal("a1.example", PlacementConstraint.FieldValue(a1, "@hostname"));
        Assert.Equal("z1", PlacementConstraint.FieldValue(a1, "@zone"));
        Assert.Equal("r1", PlacementConstraint.FieldValue(a1, "@region"));
        Assert.Equal("8", PlacementConstraint.FieldValue(a1, "cores"));
        Assert.Null(PlacementConstraint.FieldValue(a1, "absent"));
        Assert.Null(PlacementConstraint.FieldValue(Agents["bare"], "@zone"));
    }

    [Fact]
    public void Parse_reads_the_colon_form()
    {
        var c = PlacementConstraint.Parse("rack:GROUP_BY:2");

        Assert.Equal("rack", c.Field);
        Assert.Equal(ConstraintOperator.GroupBy, c.Operator);
        Assert.Equal("2", c.Value);
        Assert.Equal("rack:GROUP_BY:2", c.ToString());
    }

    [Fact]
    public void FromParts_reads_marathons_array_form()
    {
        var c = PlacementConstraint.FromParts(["hostname", "UNIQUE"]);

        Assert.Equal("hostname", c.Field);
        Assert.Equal(ConstraintOperator.Unique, c.Operator);
        Assert.Null(c.Value);
        Assert.Equal("hostname:UNIQUE", c.ToString());
        Assert.Equal(c, PlacementConstraint.Parse("hostname:UNIQUE"));
    }

    [Theory]
    [InlineData("hostname:UNIQUE")]
    [InlineData("@zone:CLUSTER")]
    [InlineData("rack:CLUSTER:rack-1")]
    [InlineData("rack:GROUP_BY")]
    [InlineData("rack:GROUP_BY:3")]
    [InlineData("jdk:LIKE:7|8")]
    [InlineData("hostname:LIKE:a:b")]
    [InlineData("jdk:UNLIKE:6.*")]
    [InlineData("@region:MAX_PER:2")]
    [InlineData("cores:IS:8")]
    public void ToString_round_trips_through_Parse(string text)
    {
        var c = PlacementConstraint.Parse(text);

        Assert.Equal(text, c.ToString());
        Assert.Equal(c, PlacementConstraint.Parse(c.ToString()));
        Assert.Equal(c.GetHashCode(), PlacementConstraint.Parse(c.ToString()).GetHashCode());
    }

    [Theory]
    [InlineData("UNIQUE", ConstraintOperator.Unique)]
    [InlineData("CLUSTER", ConstraintOperator.Cluster)]
    [InlineData("GROUP_BY", ConstraintOperator.GroupBy)]
    [InlineData("LIKE", ConstraintOperator.Like)]
    [InlineData("UNLIKE", ConstraintOperator.Unlike)]
    [InlineData("MAX_PER", ConstraintOperator.MaxPer)]
    [InlineData("IS", ConstraintOperator.Is)]
    [InlineData(" group_by ", ConstraintOperator.GroupBy)]
    public void Operator_names_parse_and_print_as_marathon_writes_them(string name, ConstraintOperator op)
    {
        Assert.Equal(op, PlacementConstraint.ParseOperator(name));
        Assert.Equal(name.Trim().ToUpperInvariant(), PlacementConstraint.OperatorName(op));
    }

    [Theory]
    [InlineData("hostname:FOO", "constraint.operator")]
    [InlineData("hostname:", "constraint.operator")]
    [InlineData("hostname:GROUPBY", "constraint.operator")]
    [InlineData("hostname", "constraint")]
    [InlineData("", "constraint")]
    [InlineData(":UNIQUE", "constraint.field")]
    [InlineData("rack:LIKE", "constraint.value")]
    [InlineData("rack:LIKE:[", "constraint.value")]
    [InlineData("rack:UNLIKE:(a", "constraint.value")]
    [InlineData("rack:UNLIKE:*", "constraint.value")]
    [InlineData("rack:MAX_PER", "constraint.value")]
    [InlineData("rack:MAX_PER:0", "constraint.value")]
    [InlineData("rack:MAX_PER:-1", "constraint.value")]
    [InlineData("rack:MAX_PER:two", "constraint.value")]
    [InlineData("rack:MAX_PER:1.5", "constraint.value")]
    [InlineData("rack:GROUP_BY:0", "constraint.value")]
    [InlineData("rack:GROUP_BY:x", "constraint.value")]
    [InlineData("rack:IS", "constraint.value")]
    public void Invalid_constraints_are_refused_naming_the_part_at_fault(string text, string field)
    {
        ValidationAssert.Refuses(field, () => PlacementConstraint.Parse(text));
    }

    [Fact]
    public void FromParts_refuses_the_wrong_number_of_parts_and_prefixes_the_given_path()
    {
        ValidationAssert.Refuses("constraint", () => PlacementConstraint.FromParts(["hostname"]));
        ValidationAssert.Refuses("constraint", () => PlacementConstraint.FromParts(["a", "IS", "b", "c"]));
        ValidationAssert.Refuses("app.constraints[0].operator", () => PlacementConstraint.FromParts(["hostname", "FOO"], "app.constraints[0]"));
        ValidationAssert.Refuses("app.constraints[1].value", () => PlacementConstraint.FromParts(["rack", "MAX_PER"], "app.constraints[1]"));
    }

    [Fact]
    public void Unknown_operator_error_lists_the_known_ones()
    {
        var e = ValidationAssert.Refuses("constraint.operator", () => PlacementConstraint.ParseOperator("FOO"));

        Assert.Contains("FOO", e.Reason, StringComparison.Ordinal);
        Assert.Contains("GROUP_BY", e.Reason, StringComparison.Ordinal);
        ValidationAssert.Refuses("constraint.operator", () => PlacementConstraint.ParseOperator(null));
    }

    [Fact]
    public void Constructor_refuses_an_undefined_operator_value()
    {
        ValidationAssert.Refuses("constraint.operator", () => new PlacementConstraint("rack", (ConstraintOperator)99));
    }

    [Fact]
    public void Constructor_trims_the_field_and_treats_an_empty_value_as_none()
    {
        var c = new PlacementConstraint(" rack ", ConstraintOperator.GroupBy, "");

        Assert.Equal("rack", c.Field);
        Assert.Null(c.Value);
        Assert.Equal("rack:GROUP_BY", c.ToString());
        Assert.NotEqual(c, new PlacementConstraint("rack", ConstraintOperator.GroupBy, "2"));
        Assert.NotEqual(c, new PlacementConstraint("rack", ConstraintOperator.Unique));
    }
}
