using DcOs.Core;

namespace DcOs.Core.Tests;

/// <summary>Asserts that an action is refused with a <see cref="ValidationException"/> naming a field and a reason.</summary>
internal static class ValidationAssert
{
    public static ValidationException Refuses(string expectedField, Action action)
    {
        var e = Assert.Throws<ValidationException>(action);
        Assert.Equal(expectedField, e.Field);
        Assert.False(string.IsNullOrWhiteSpace(e.Reason), "the exception should say why the value was refused");
        return e;
    }

    public static ValidationException Refuses(string expectedField, Func<object?> func) =>
        Refuses(expectedField, () => { _ = func(); });
}
