using BenchmarkDotNet.Running;
using DcOs.Benchmarks.Quick;

namespace DcOs.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/DcOs.Benchmarks -- quick &lt;suite&gt;</c> runs a short measurement and
/// prints one JSON object per metric; anything else goes to BenchmarkDotNet's switcher (full, statistically careful runs).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "quick")
        {
            return await QuickRunner.RunAsync(args[1..], Console.Out);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
