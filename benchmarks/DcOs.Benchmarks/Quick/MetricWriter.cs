using System.Globalization;
using System.Text.Json;

namespace DcOs.Benchmarks.Quick;

/// <summary>Writes one JSON object per line: {"suite":..,"metric":..,"value":..,"unit":..}.</summary>
public sealed class MetricWriter(TextWriter output, string suite)
{
    public void Write(string metric, double value, string unit)
    {
        var rounded = Math.Round(value, value >= 100 ? 1 : 4);
        var line = JsonSerializer.Serialize(new { suite, metric, value = rounded, unit });
        output.WriteLine(line);
        output.Flush();
    }

    public static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
