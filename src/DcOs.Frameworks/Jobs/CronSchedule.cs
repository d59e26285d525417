using Cronos;
using DcOs.Core;

namespace DcOs.Frameworks.Jobs;

/// <summary>
/// A five-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC by Cronos: lists,
/// ranges, steps, month and weekday names, and L/W/# as Cronos documents them. When both day fields are restricted a
/// day matching either runs the job, as Vixie cron (and Metronome) do.
/// </summary>
public sealed class CronSchedule
{
    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression)
    {
        Text = text;
        _expression = expression;
    }

    /// <summary>The expression as given (trimmed).</summary>
    public string Text { get; }

    /// <summary>Parses "*/5 * * * *", "0 3 * * 1-5", "15,45 * * * *".</summary>
    /// <exception cref="ValidationException">Not five fields, or a field out of range; <paramref name="field"/> is named.</exception>
    public static CronSchedule Parse(string? text, string field = "schedule")
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 5)
            throw new ValidationException(field, $"\"{text}\" is not a five-field cron expression (minute hour day month weekday)");
        try
        {
            return new CronSchedule(trimmed, CronExpression.Parse(trimmed, CronFormat.Standard));
        }
        catch (CronFormatException e)
        {
            throw new ValidationException(field, $"\"{text}\" is not a valid cron expression: {e.Message}");
        }
    }

    /// <summary>The first matching minute strictly after <paramref name="after"/>, or <see cref="DateTimeOffset.MaxValue"/> when there is none.</summary>
    public DateTimeOffset Next(DateTimeOffset after) =>
        _expression.GetNextOccurrence(after, TimeZoneInfo.Utc, inclusive: false) ?? DateTimeOffset.MaxValue;
}
