using System.IO.MemoryMappedFiles;

namespace SegaLearn.Protocol;

/// <summary>
/// The tensors of one worker that shares a machine with its coordinator, in a file under /dev/shm mapped by both:
/// a parameter region and <see cref="Slots"/> gradient slots, each of the model's parameter count. Over it the data
/// plane sends only frame headers (payload flagged as shared), so the parameters are written once into the file and the
/// coordinator reduces the gradient where the worker wrote it, instead of pushing both through the loopback socket and
/// checksumming them.
/// <para>
/// The worker creates the file and offers it in its Hello; the coordinator maps it when it finds it with the exact
/// name and size (which proves the same machine) and unlinks it at once, so nothing is left behind even after a
/// kill -9. The socket's ordering makes writes before a frame visible to the peer that reads the frame.
/// </para>
/// </summary>
public sealed unsafe class SharedTensorFile : IDisposable
{
    private const string Directory = "/dev/shm";

    private readonly MappedView _map;
    private readonly MappedRegionMemory _parameters;
    private readonly MappedRegionMemory[] _slots;

    private SharedTensorFile(MemoryMappedFile file, int parameterCount, int slots)
    {
        Slots = slots;
        _map = new MappedView(file, ByteLength(parameterCount, slots), MemoryMappedFileAccess.ReadWrite);
        var start = (float*)_map.Pointer;
        _parameters = new MappedRegionMemory(start, parameterCount);
        _slots = new MappedRegionMemory[slots];
        for (var slot = 0; slot < slots; slot++)
        {
            _slots[slot] = new MappedRegionMemory(start + ((long)(slot + 1) * parameterCount), parameterCount);
        }
    }

    public int Slots { get; }

    /// <summary>The file for a job's worker, or null where there is no /dev/shm (then tensors travel inline).</summary>
    public static string? PathFor(Guid jobId, int workerId) =>
        System.IO.Directory.Exists(Directory) ? Path.Combine(Directory, $"segalearn-{jobId:N}-{workerId}") : null;

    /// <summary>Worker side: creates (or replaces) and maps the file.</summary>
    public static SharedTensorFile Create(string path, int parameterCount, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Create, null, ByteLength(parameterCount, slots), MemoryMappedFileAccess.ReadWrite);
        return new SharedTensorFile(file, parameterCount, slots);
    }

    /// <summary>Coordinator side: maps the worker's file and unlinks it, or returns null when it is not there with that size.</summary>
    public static SharedTensorFile? TryOpen(string? path, int parameterCount, int slots)
    {
        if (path is null || slots <= 0 || !File.Exists(path) || new FileInfo(path).Length != ByteLength(parameterCount, slots))
        {
            return null;
        }

        try
        {
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
            var shared = new SharedTensorFile(file, parameterCount, slots);
            File.Delete(path);
            return shared;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The parameter region, for the worker's own thread, which also disposes the file.</summary>
    public ReadOnlyMemory<float> Parameters => _parameters.Memory;

    /// <summary>A gradient slot, for the worker's own thread, which also disposes the file.</summary>
    public Span<float> Slot(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Slots);
        ObjectDisposedException.ThrowIf(!_map.IsOpen, this);
        return _slots[slot].GetSpan();
    }

    /// <summary>Coordinator side, from any thread: copies parameters in; false once the file is closed.</summary>
    public bool TryWriteParameters(ReadOnlySpan<float> parameters)
    {
        lock (_map.Gate)
        {
            if (!_map.IsOpen)
            {
                return false;
            }

            parameters.CopyTo(_parameters.GetSpan());
            return true;
        }
    }

    /// <summary>Coordinator side, from any thread: copies a gradient slot out; false once the file is closed.</summary>
    public bool TryReadSlot(int slot, Span<float> destination)
    {
        if ((uint)slot >= (uint)Slots)
        {
            return false;
        }

        lock (_map.Gate)
        {
            if (!_map.IsOpen)
            {
                return false;
            }

            _slots[slot].GetSpan().CopyTo(destination);
            return true;
        }
    }

    /// <summary>
    /// Coordinator side, from any thread: a pin on gradient slot <paramref name="slot"/>, to read it in place until the
    /// pin is disposed; null when the slot does not exist or the file is closed. The worker rewrites a slot only for a
    /// block it is handed after its result was taken: the coordinator copies a pinned result out before that.
    /// </summary>
    public SharedSlotPin? PinSlot(int slot) =>
        (uint)slot < (uint)Slots && _map.TryPin() ? new SharedSlotPin(_map, _slots[slot].Memory) : null;

    public void Dispose() => _map.Dispose();

    private static long ByteLength(int parameterCount, int slots) => (long)(slots + 1) * parameterCount * sizeof(float);
}
