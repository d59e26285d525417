namespace DcOs.Benchmarks.Quick;

/// <summary>The repository's built sample programs, as the suites that start real processes run them.</summary>
internal static class SamplePrograms
{
    /// <summary>A built sample program of the repository (Release first, as the benchmarks run).</summary>
    public static string Path(string project)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(System.IO.Path.Combine(dir.FullName, "DcOs.sln"))) continue;
            foreach (var configuration in new[] { "Release", "Debug" })
            {
                var path = System.IO.Path.Combine(dir.FullName, "samples", project, "bin", configuration, "net10.0", project + ".dll");
                if (File.Exists(path)) return path;
            }
        }
        throw new FileNotFoundException($"{project}.dll is not built; build the solution (or the benchmarks, which build it)");
    }
}
