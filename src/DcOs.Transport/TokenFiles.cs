using System.Text;

namespace DcOs.Transport;

/// <summary>
/// Files that hold tokens and secrets: written readable by their owner only (mode 0600 on Unix) and atomically, so
/// a crash never leaves half a token; read with surrounding white space removed.
/// </summary>
public static class TokenFiles
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> (mode 0600), replacing any file there.</summary>
    public static void Write(string path, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(text);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>The file's text without surrounding white space.</summary>
    /// <exception cref="IOException">The file is missing or unreadable; the message names it.</exception>
    public static string Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read the token file {path}: {e.Message}", e);
        }
    }
}
