using System.Diagnostics;
using System.Globalization;
using DcOs.Core;

namespace DcOs.Agent.Internal.Discovery;

/// <summary>GPUs as <c>nvidia-smi</c> reports them: each device's index, model and memory.</summary>
internal sealed record GpuDiscovery(IReadOnlyList<GpuDevice> Devices)
{
    public int Count => Devices.Count;

    /// <summary>The first device's model (what the <c>gpu_model</c> attribute says); null without devices.</summary>
    public string? Model => Devices.Count > 0 ? Devices[0].Model : null;

    public double MemoryMb => Devices.Count > 0 ? Devices[0].MemoryMb : 0;

    /// <summary>Runs nvidia-smi when it is found in <paramref name="searchPath"/> (null: PATH); null when absent or failing (with a note).</summary>
    public static GpuDiscovery? Query(string? searchPath, List<string> notes)
    {
        var path = FindOnPath("nvidia-smi", searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
        if (path is null) return null;
        try
        {
            var start = new ProcessStartInfo(path, ["--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"])
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
            var devices = new List<GpuDevice>(lines.Length);
            foreach (var line in lines)
            {
                // "index, name, memory.total"; a line that does not parse is left out, with a note, rather than guessed.
                var parts = line.Split(',', StringSplitOptions.TrimEntries);
                if (parts.Length < 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || devices.Any(d => d.Index == index))
                {
                    notes.Add($"gpus: left out nvidia-smi line \"{line}\" (expected index, name, memory)");
                    continue;
                }
                var memory = double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && double.IsFinite(m) && m >= 0 ? m : 0;
                devices.Add(new GpuDevice { Index = index, Model = parts[1].Length > 256 ? parts[1][..256] : parts[1], MemoryMb = memory });
            }
            if (devices.Count > 0) notes.Add($"gpus {devices.Count} ({string.Join(", ", devices.Select(d => d.Index + ": " + d.Model).Distinct())}) from nvidia-smi");
            return new GpuDiscovery(devices);
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
