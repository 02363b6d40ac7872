using System.Security.Cryptography;

namespace SegaLearn.Serialization;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file beside the target
/// (<c>.{name}.{random}.tmp</c>), which is flushed to disk and then renamed over the target. A reader sees the old
/// file or the new one, never a half-written one; if writing fails, the temporary file is removed and the old
/// file is left as it was.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <param name="write">Writes the whole content to the stream it is given (and does not dispose it).</param>
    /// <exception cref="BadInputException">The directory of <paramref name="path"/> does not exist.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? throw new BadInputException($"cannot write '{path}': it is not a file path");
        if (!Directory.Exists(directory))
        {
            var shown = Path.GetDirectoryName(path);
            throw new BadInputException(
                $"cannot write '{path}': directory '{(string.IsNullOrEmpty(shown) ? directory : shown)}' does not exist");
        }

        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // The original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
