using System.Diagnostics;
using System.Globalization;

namespace DcOs.Agent.Internal.Discovery;

/// <summary>GPUs as <c>nvidia-smi</c> reports them: count, the first one's model and memory.</summary>
internal sealed record GpuDiscovery(int Count, string? Model, double MemoryMb)
{
    /// <summary>Runs nvidia-smi when it is found in <paramref name="searchPath"/> (null: PATH); null when absent or failing (with a note).</summary>
    public static GpuDiscovery? Query(string? searchPath, List<string> notes)
    {
        var path = FindOnPath("nvidia-smi", searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
        if (path is null) return null;
        try
        {
            var start = new ProcessStartInfo(path, ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                notes.Add("gpus: nvidia-smi did not answer within 10 s");
                return null;
            }
            if (process.ExitCode != 0)
            {
                notes.Add($"gpus: nvidia-smi exited with status {process.ExitCode}");
                return null;
            }
            var lines = output.GetAwaiter().GetResult().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (lines.Length == 0) return new GpuDiscovery(0, null, 0);
            var first = lines[0].Split(',', StringSplitOptions.TrimEntries);
            var memory = first.Length > 1 && double.TryParse(first[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : 0;
            notes.Add($"gpus {lines.Length} ({first[0]}) from nvidia-smi");
            return new GpuDiscovery(lines.Length, first[0], memory);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            notes.Add($"gpus: nvidia-smi failed ({e.Message})");
            return null;
        }
    }

    private static string? FindOnPath(string program, string searchPath)
    {
        foreach (var dir in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
