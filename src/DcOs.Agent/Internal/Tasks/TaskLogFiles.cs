using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DcOs.Agent.Internal.Linux;
using Microsoft.Win32.SafeHandles;

namespace DcOs.Agent.Internal.Tasks;

/// <summary>
/// Reads and caps a task's stdout and stderr. Files are opened with O_NOFOLLOW: a task owns its sandbox and could
/// replace "stdout" with a symbolic link to any file on the machine, which the agent must then refuse to read or cut.
/// </summary>
internal static class TaskLogFiles
{
    /// <summary>The most a single read returns (the protocol's cap).</summary>
    public const int MaxReadLength = 1024 * 1024;

    /// <summary>
    /// When <paramref name="path"/> is larger than <paramref name="maxBytes"/>, keeps its last half (from a line start)
    /// behind a line saying how much was cut. The task keeps writing through its O_APPEND descriptor, so its next writes
    /// land after the kept part; bytes it writes during the few microseconds of the cut may be lost. Returns the bytes cut.
    /// </summary>
    public static long Cap(string path, long maxBytes)
    {
        using var handle = Open(path, LibC.O_RDWR | LibC.O_APPEND);
        if (handle is null) return 0;
        var size = RandomAccess.GetLength(handle);
        if (size <= maxBytes) return 0;
        var keep = (int)Math.Min(maxBytes / 2, int.MaxValue);
        var tail = new byte[keep];
        var read = RandomAccess.Read(handle, tail, size - keep);
        var start = Array.IndexOf(tail, (byte)'\n', 0, read);
        start = start < 0 || start > read / 2 ? 0 : start + 1;
        var cut = size - (read - start);
        var marker = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"[dcos-agent: cut the first {cut} bytes of this file to keep it under {maxBytes} bytes]\n"));
        RandomAccess.SetLength(handle, 0);
        var kept = new byte[marker.Length + read - start];
        marker.CopyTo(kept, 0);
        Array.Copy(tail, start, kept, marker.Length, read - start);
        // O_APPEND: the write goes to the end whatever the offset says, after anything the task wrote since the cut.
        RandomAccess.Write(handle, kept, 0);
        return cut;
    }

    /// <summary>Reads part of a log: a negative offset counts from the end. Null when the file is absent or a link.</summary>
    public static (byte[] Data, long Offset, long Size)? Read(string path, long offset, int length)
    {
        using var handle = Open(path, LibC.O_RDONLY);
        if (handle is null) return null;
        var size = RandomAccess.GetLength(handle);
        var start = offset < 0 ? Math.Max(0, size + offset) : Math.Min(offset, size);
        var count = (int)Math.Min(Math.Clamp(length, 0, MaxReadLength), size - start);
        var data = new byte[count];
        var read = count == 0 ? 0 : RandomAccess.Read(handle, data, start);
        return (read == count ? data : data[..read], start, size);
    }

    /// <summary>The last lines of a file (at most <paramref name="maxBytes"/>), trimmed, for failure messages.</summary>
    public static string Tail(string path, int maxBytes = 1024, int maxLines = 5)
    {
        var chunk = Read(path, -maxBytes, maxBytes);
        if (chunk is null || chunk.Value.Data.Length == 0) return "";
        var text = Encoding.UTF8.GetString(chunk.Value.Data).TrimEnd();
        var lines = text.Split('\n');
        return string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - maxLines)).Select(l => l.Trim()).Where(l => l.Length > 0));
    }

    private static SafeFileHandle? Open(string path, int flags)
    {
        var fd = LibC.open(path, flags | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // ENOENT: no such log yet; ELOOP: the task replaced it with a link.
            if (errno is LibC.ENOENT or LibC.ELOOP) return null;
            throw new IOException($"cannot open {path}: {LibC.Describe(errno)}");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
