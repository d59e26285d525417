using DcOs.Core.Placement;

namespace DcOs.Core.Tests;

/// <summary>The words every layer shares: placement reasons and objectives.</summary>
public sealed class PlacementVocabularyTests
{
    [Fact]
    public void Every_placement_reason_has_its_own_words()
    {
        Assert.All(PlacementReasons.All, r => Assert.NotEqual(r.ToString(), r.Describe()));
        Assert.Equal(PlacementReasons.All.Count, PlacementReasons.All.Select(r => r.Describe()).Distinct().Count());
        Assert.Equal("not enough cpus", PlacementReason.InsufficientCpus.Describe());
        Assert.Equal("99", ((PlacementReason)99).Describe());
    }

    [Fact]
    public void A_placement_reasons_wire_number_stays_what_it_was()
    {
        // Declines carry reasons as numbers and masters count them by number: the first ten never move.
        Assert.Equal(0, (int)PlacementReason.InsufficientCpus);
        Assert.Equal(5, (int)PlacementReason.InsufficientOther);
        Assert.Equal(9, (int)PlacementReason.GpuCapability);
    }

    [Theory]
    [InlineData("cheapest", ObjectiveKind.Cheapest)]
    [InlineData(" Fastest ", ObjectiveKind.Fastest)]
    [InlineData("cheapest-within-deadline", ObjectiveKind.CheapestWithinDeadline)]
    [InlineData("CheapestWithinDeadline", ObjectiveKind.CheapestWithinDeadline)]
    [InlineData("PACK", ObjectiveKind.Pack)]
    [InlineData("spread", ObjectiveKind.Spread)]
    public void An_objective_is_read_from_its_text_form_or_its_name(string text, ObjectiveKind kind)
    {
        Assert.Equal(kind, ObjectiveKinds.Parse(text));
        Assert.Equal(kind, ObjectiveKinds.Parse(kind.Name()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("cheap")]
    [InlineData("2")]
    [InlineData("cheapest,fastest")]
    public void An_unknown_objective_is_refused_naming_the_field_and_the_choices(string? text)
    {
        var e = Assert.Throws<ValidationException>(() => ObjectiveKinds.Parse(text, "costObjective"));
        Assert.Equal("costObjective", e.Field);
        Assert.Contains("cheapest, fastest, cheapest-within-deadline, pack or spread", e.Reason);
        Assert.False(((ObjectiveKind)42).IsDefined());
    }
}
