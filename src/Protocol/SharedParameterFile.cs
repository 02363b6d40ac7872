using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;
using SegaLearn.Training;

namespace SegaLearn.Protocol;

/// <summary>
/// The parameters of a job in one file that the coordinator writes once per version and every worker on its machine
/// maps read-only, so publishing a version costs one copy whatever the number of local workers (a copy per worker,
/// into each <see cref="SharedTensorFile"/>, was the largest serial part of a 2-worker step: two 940 KB copies, 0.13 ms).
/// <para>
/// The coordinator creates the file under /dev/shm and unlinks it at once, keeping it open, so nothing is left behind
/// even after a kill -9; workers open it through <c>/proc/PID/fd/N</c> (<see cref="Path"/>, sent in the job offer). The
/// first bytes hold the job's id hash, which a worker checks, so a path that names another process's file on another
/// machine is never taken for this job's. Writes made before a frame is sent are visible to the worker that reads it.
/// </para>
/// </summary>
public sealed unsafe class SharedParameterFile : IDisposable
{
    private const int HeaderBytes = 64;

    private readonly MappedView _map;
    private readonly int _parameterCount;
    private readonly MappedRegionMemory _memory;
    private long _version = -1;

    private SharedParameterFile(MemoryMappedFile file, SafeFileHandle? handle, int parameterCount, bool writable, string path)
    {
        _parameterCount = parameterCount;
        Path = path;
        _map = new MappedView(file, ByteLength(parameterCount), writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read, handle);
        _memory = new MappedRegionMemory((float*)(_map.Pointer + HeaderBytes), parameterCount);
    }

    /// <summary>Where a worker on this machine opens the file.</summary>
    public string Path { get; }

    /// <summary>The parameters, for a worker's read thread, which also disposes the file.</summary>
    public ReadOnlyMemory<float> Parameters => _memory.Memory;

    private Span<byte> Header => new(_map.Pointer, HeaderBytes);

    /// <summary>
    /// Coordinator side: creates the file for job <paramref name="jobHash"/>, or returns null where there is no /dev/shm
    /// or /proc (then each worker gets the parameters in its own file or inline).
    /// </summary>
    public static SharedParameterFile? TryCreate(Guid jobHash, int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        var descriptors = $"/proc/{Environment.ProcessId}/fd";
        if (!Directory.Exists("/dev/shm") || !Directory.Exists(descriptors))
        {
            return null;
        }

        var path = System.IO.Path.Combine("/dev/shm", $"segalearn-{jobHash:N}-parameters");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        try
        {
            File.Delete(path);
            var file = MemoryMappedFile.CreateFromFile(handle, null, ByteLength(parameterCount), MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            var shared = new SharedParameterFile(file, handle, parameterCount, writable: true, $"{descriptors}/{handle.DangerousGetHandle()}");
            jobHash.TryWriteBytes(shared.Header);
            return shared;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Worker side: maps the file at <paramref name="path"/> read-only, or returns null when it is not there, has
    /// another size, or belongs to another job.
    /// </summary>
    public static SharedParameterFile? TryOpen(string? path, Guid jobHash, int parameterCount)
    {
        if (string.IsNullOrEmpty(path) || parameterCount <= 0)
        {
            return null;
        }

        MemoryMappedFile file;
        SafeFileHandle? handle = null;
        try
        {
            // Through the handle, not the path: the /proc entry is a link, whose own size is not the file's.
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (RandomAccess.GetLength(handle) != ByteLength(parameterCount))
            {
                handle.Dispose();
                return null;
            }

            file = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            handle?.Dispose();
            return null;
        }

        var shared = new SharedParameterFile(file, null, parameterCount, writable: false, path);
        if (new Guid(shared.Header[..16]) != jobHash)
        {
            shared.Dispose();
            return null;
        }

        return shared;
    }

    /// <summary>
    /// Coordinator side, from any thread: makes the file hold version <paramref name="version"/>, copying
    /// <paramref name="parameters"/> in unless it holds that version already; false once the file is closed.
    /// </summary>
    public bool TryPublish(long version, ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != _parameterCount)
        {
            throw new ArgumentException($"Expected {_parameterCount} parameters, got {parameters.Length}.", nameof(parameters));
        }

        lock (_map.Gate)
        {
            if (!_map.IsOpen)
            {
                return false;
            }

            if (version != _version)
            {
                parameters.CopyTo(_memory.GetSpan());
                _version = version;
            }

            return true;
        }
    }

    /// <summary>
    /// Coordinator side, from any thread: runs <paramref name="write"/> on the file's parameters, which it fills with
    /// version <paramref name="version"/> (the trainer's optimizer, writing its result here in the same pass), so that
    /// <see cref="TryPublish"/> of that version copies nothing. The file stays mapped meanwhile; false, without running
    /// <paramref name="write"/>, once it is closed. If <paramref name="write"/> throws, the file holds no version.
    /// </summary>
    public bool TryWrite(long version, ParameterUpdate write)
    {
        ArgumentNullException.ThrowIfNull(write);
        lock (_map.Gate)
        {
            if (!_map.IsOpen)
            {
                return false;
            }

            _version = -1;
            write(_memory.GetSpan());
            _version = version;
            return true;
        }
    }

    public void Dispose() => _map.Dispose();

    private static long ByteLength(int parameterCount) => HeaderBytes + ((long)parameterCount * sizeof(float));
}
