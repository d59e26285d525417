using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class ValidationExceptionTests
{
    [Fact]
    public void Message_is_field_colon_reason_and_param_name_is_the_field()
    {
        var e = new ValidationException("task.resources.cpus", "must not be negative");

        Assert.Equal("task.resources.cpus", e.Field);
        Assert.Equal("must not be negative", e.Reason);
        Assert.Equal("task.resources.cpus: must not be negative", e.Message);
        Assert.Equal("task.resources.cpus", e.ParamName);
    }

    [Fact]
    public void Within_prefixes_the_field_path_and_keeps_the_reason()
    {
        var inner = new ValidationException("cpus", "must be finite");

        var outer = inner.Within("task.resources");

        Assert.Equal("task.resources.cpus", outer.Field);
        Assert.Equal("must be finite", outer.Reason);
        Assert.Equal("cpus", inner.Field);
    }

    [Fact]
    public void Is_an_argument_exception_so_generic_handlers_catch_it()
    {
        Assert.IsAssignableFrom<ArgumentException>(new ValidationException("f", "r"));
    }
}
