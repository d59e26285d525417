namespace DcOs.Benchmarks.Quick;

/// <summary>One named quick-mode suite: a short measurement that reports metrics as it goes.</summary>
public interface IQuickSuite
{
    string Name { get; }

    Task RunAsync(MetricWriter output, CancellationToken cancellationToken);
}
