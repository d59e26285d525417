using System.Globalization;
using DcOs.Core;

namespace DcOs.SampleMaster.Jobs;

/// <summary>A five-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC.</summary>
public sealed class CronSchedule
{
    private readonly bool[] _minutes;
    private readonly bool[] _hours;
    private readonly bool[] _days;
    private readonly bool[] _months;
    private readonly bool[] _weekdays;

    private CronSchedule(string text, bool[] minutes, bool[] hours, bool[] days, bool[] months, bool[] weekdays)
    {
        Text = text;
        _minutes = minutes;
        _hours = hours;
        _days = days;
        _months = months;
        _weekdays = weekdays;
    }

    public string Text { get; }

    /// <summary>Parses "*/5 * * * *", "0 3 * * 1-5", "15,45 * * * *".</summary>
    /// <exception cref="ValidationException">Not five fields, or a field out of range.</exception>
    public static CronSchedule Parse(string text, string field = "schedule")
    {
        var parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5) throw new ValidationException(field, $"\"{text}\" is not a five-field cron expression (minute hour day month weekday)");
        return new CronSchedule(text!.Trim(),
            Field(parts[0], 0, 59, field, "minute"), Field(parts[1], 0, 23, field, "hour"), Field(parts[2], 1, 31, field, "day"),
            Field(parts[3], 1, 12, field, "month"), Field(parts[4], 0, 7, field, "weekday"));
    }

    /// <summary>The first matching minute strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        var t = new DateTimeOffset(after.UtcDateTime.Year, after.UtcDateTime.Month, after.UtcDateTime.Day, after.UtcDateTime.Hour, after.UtcDateTime.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        for (var i = 0; i < 366 * 24 * 60; i++, t = t.AddMinutes(1))
        {
            var weekday = (int)t.DayOfWeek;
            if (_minutes[t.Minute] && _hours[t.Hour] && _days[t.Day] && _months[t.Month] && (_weekdays[weekday] || (weekday == 0 && _weekdays[7]))) return t;
        }
        return DateTimeOffset.MaxValue;
    }

    private static bool[] Field(string text, int min, int max, string field, string name)
    {
        var set = new bool[max + 1];
        foreach (var item in text.Split(','))
        {
            var step = 1;
            var range = item;
            var slash = item.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                if (!int.TryParse(item[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
                    throw new ValidationException(field, $"bad step in {name} \"{item}\"");
                range = item[..slash];
            }
            int lo = min, hi = max;
            if (range != "*")
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                if (!int.TryParse(dash < 0 ? range : range[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out lo) ||
                    !int.TryParse(dash < 0 ? range : range[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out hi))
                    throw new ValidationException(field, $"\"{item}\" is not a valid {name}");
                if (slash >= 0 && dash < 0) hi = max;
            }
            if (lo < min || hi > max || lo > hi) throw new ValidationException(field, $"{name} \"{item}\" is outside {min}-{max}");
            for (var v = lo; v <= hi; v += step) set[v] = true;
        }
        return set;
    }
}
