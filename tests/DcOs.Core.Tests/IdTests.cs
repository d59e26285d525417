using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class IdTests
{
    public static readonly TheoryData<string> IdKinds = ["agentId", "frameworkId", "taskId", "offerId", "executorId"];

    public static readonly TheoryData<string> UnsafeTexts =
    [
        "",
        ".",
        "..",
        "../x",
        "../../etc/passwd",
        "a/b",
        "/abs",
        "a\\b",
        "..\\x",
        ".hidden",
        "a\0b",
        "\0",
        "a b",
        " a",
        "a ",
        "a\tb",
        "a\nb",
        "tâche",
        "日本",
        "ａ",
        "a\u00A0b",
        "a:b",
        "a*b",
        "$HOME",
        "~user",
        "a%2Fb",
    ];

    public static TheoryData<string, string> KindsAndUnsafeTexts()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in IdKinds)
        {
            foreach (var text in UnsafeTexts) data.Add(kind, text);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(KindsAndUnsafeTexts))]
    public void Unsafe_or_empty_text_is_refused_naming_the_id_type(string kind, string text)
    {
        ValidationAssert.Refuses(kind, () => Create(kind, text));
        Assert.False(TryParse(kind, text, out _));
    }

    [Theory]
    [MemberData(nameof(IdKinds))]
    public void Null_text_is_refused_naming_the_id_type(string kind)
    {
        ValidationAssert.Refuses(kind, () => Create(kind, null!));
        Assert.False(TryParse(kind, null, out _));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("web-1")]
    [InlineData("task_2024.01.01")]
    [InlineData("a..b")]
    [InlineData("ABCxyz0123456789")]
    [InlineData("-leading-dash")]
    [InlineData("trailing.")]
    public void Safe_text_is_accepted_by_every_id_type(string text)
    {
        foreach (var kind in IdKinds)
        {
            Assert.Equal(text, Create(kind, text).ToString());
            Assert.True(TryParse(kind, text, out var parsed));
            Assert.Equal(text, parsed);
        }
    }

    [Theory]
    [MemberData(nameof(IdKinds))]
    public void Length_is_bounded_by_IdText_MaxLength(string kind)
    {
        var longest = new string('a', IdText.MaxLength);
        var tooLong = longest + "a";

        Assert.Equal(longest, Create(kind, longest).ToString());
        var e = ValidationAssert.Refuses(kind, () => Create(kind, tooLong));
        Assert.Contains(IdText.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Reason, StringComparison.Ordinal);
        Assert.False(TryParse(kind, tooLong, out _));
    }

    [Fact]
    public void IdText_IsValid_agrees_with_the_rules()
    {
        Assert.True(IdText.IsValid("ok-1"));
        Assert.False(IdText.IsValid(null));
        Assert.False(IdText.IsValid(".."));
        Assert.False(IdText.IsValid("a/b"));
        Assert.Equal("ok", IdText.Validate("ok", "f"));
        ValidationAssert.Refuses("custom.field", () => IdText.Validate("a/b", "custom.field"));
    }

    [Fact]
    public void TryParse_returns_the_id_on_success_and_default_on_failure()
    {
        Assert.True(TaskId.TryParse("task-1", out var ok));
        Assert.Equal("task-1", ok.Value);
        Assert.False(ok.IsEmpty);

        Assert.False(TaskId.TryParse("../escape", out var bad));
        Assert.True(bad.IsEmpty);
        Assert.Equal(default, bad);

        Assert.True(AgentId.TryParse("agent-1", out var agent));
        Assert.Equal(new AgentId("agent-1"), agent);
        Assert.True(FrameworkId.TryParse("fw", out var fw));
        Assert.Equal(new FrameworkId("fw"), fw);
        Assert.True(OfferId.TryParse("offer", out var offer));
        Assert.Equal(new OfferId("offer"), offer);
        Assert.True(ExecutorId.TryParse("exec", out var exec));
        Assert.Equal(new ExecutorId("exec"), exec);
    }

    [Fact]
    public void Default_id_is_empty_and_prints_as_empty_text()
    {
        Assert.True(default(TaskId).IsEmpty);
        Assert.Equal(string.Empty, default(TaskId).ToString());
        Assert.True(default(AgentId).IsEmpty);
        Assert.False(new AgentId("x").IsEmpty);
    }

    [Fact]
    public void Ids_with_the_same_text_are_equal_and_hash_alike()
    {
        Assert.Equal(new TaskId("t1"), new TaskId("t1"));
        Assert.Equal(new TaskId("t1").GetHashCode(), new TaskId("t1").GetHashCode());
        Assert.NotEqual(new TaskId("t1"), new TaskId("T1"));
    }

    [Fact]
    public void Ids_order_ordinally_by_text()
    {
        var ids = new[] { "b", "a", "B", "task-9", "task-10", "A" }.Select(s => new TaskId(s)).ToList();

        ids.Sort();

        Assert.Equal(["A", "B", "a", "b", "task-10", "task-9"], ids.Select(i => i.Value));
        Assert.True(new AgentId("a").CompareTo(new AgentId("b")) < 0);
        Assert.True(new FrameworkId("b").CompareTo(new FrameworkId("a")) > 0);
        Assert.Equal(0, new OfferId("same").CompareTo(new OfferId("same")));
        Assert.True(new ExecutorId("x1").CompareTo(new ExecutorId("x2")) < 0);
        Assert.True(default(TaskId).CompareTo(new TaskId("a")) < 0);
    }

    [Fact]
    public void New_ids_are_valid_and_distinct()
    {
        Assert.NotEqual(TaskId.New(), TaskId.New());
        Assert.True(IdText.IsValid(AgentId.New().Value));
        Assert.True(IdText.IsValid(FrameworkId.New().Value));
        Assert.True(IdText.IsValid(OfferId.New().Value));
        Assert.True(IdText.IsValid(ExecutorId.New().Value));
        Assert.True(IdText.IsValid(TaskId.New().Value));
    }

    private static object Create(string kind, string text) => kind switch
    {
        "agentId" => new AgentId(text),
        "frameworkId" => new FrameworkId(text),
        "taskId" => new TaskId(text),
        "offerId" => new OfferId(text),
        "executorId" => new ExecutorId(text),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static bool TryParse(string kind, string? text, out string? value)
    {
        bool ok;
        switch (kind)
        {
            case "agentId": ok = AgentId.TryParse(text, out var a); value = a.Value; break;
            case "frameworkId": ok = FrameworkId.TryParse(text, out var f); value = f.Value; break;
            case "taskId": ok = TaskId.TryParse(text, out var t); value = t.Value; break;
            case "offerId": ok = OfferId.TryParse(text, out var o); value = o.Value; break;
            case "executorId": ok = ExecutorId.TryParse(text, out var e); value = e.Value; break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
        return ok;
    }
}
