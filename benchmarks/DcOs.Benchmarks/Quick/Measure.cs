using System.Diagnostics;

namespace DcOs.Benchmarks.Quick;

/// <summary>Small timing helpers for quick mode: warm up, then take the median of several timed batches.</summary>
public static class Measure
{
    /// <summary>Median nanoseconds per call of <paramref name="action"/>, over <paramref name="batches"/> batches.</summary>
    public static double MedianNanosPerOp(Action action, int opsPerBatch, int batches = 7)
    {
        for (var i = 0; i < opsPerBatch; i++) action();
        var samples = new double[batches];
        for (var b = 0; b < batches; b++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < opsPerBatch; i++) action();
            samples[b] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / opsPerBatch;
        }
        return Median(samples);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        var index = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
