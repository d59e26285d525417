using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DcOs.Transport.Hosting;

/// <summary>
/// Validation at host start for DcOs options classes, whose own <c>Validate()</c> throws an
/// <see cref="ArgumentException"/> naming the setting: the message becomes the validation failure, so a bad
/// configuration stops the host before anything listens, with the setting named.
/// </summary>
internal static class OptionsValidation
{
    /// <summary>Runs <paramref name="validate"/> when the options are first used and at host start.</summary>
    public static OptionsBuilder<T> ValidateOnStartWith<T>(this OptionsBuilder<T> builder, Action<T> validate)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validate);
        builder.Services.AddSingleton<IValidateOptions<T>>(new ThrowingValidator<T>(validate));
        return builder.ValidateOnStart();
    }

    private sealed class ThrowingValidator<T>(Action<T> validate) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            try
            {
                validate(options);
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}
