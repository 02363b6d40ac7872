using System.IO.MemoryMappedFiles;

namespace SegaLearn.Protocol;

/// <summary>
/// A mapped view of a file with its pointer acquired, unmapped once: by <see cref="Dispose"/>, or by the last
/// <see cref="Unpin"/> after it. Threads other than the owner's read through <see cref="Pointer"/> only while holding
/// <see cref="Gate"/> and finding <see cref="IsOpen"/>, or while holding a pin (<see cref="TryPin"/>): closing takes the
/// gate first and leaves a pinned view mapped, so it never pulls the memory from under them.
/// </summary>
internal sealed unsafe class MappedView : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly IDisposable? _handle;
    private bool _closed;
    private int _pins;

    /// <summary>Maps the first <paramref name="length"/> bytes of <paramref name="file"/> with <paramref name="access"/>; <paramref name="handle"/>, the file's handle when the caller opened it itself, is closed after the view.</summary>
    public MappedView(MemoryMappedFile file, long length, MemoryMappedFileAccess access, IDisposable? handle = null)
    {
        _file = file;
        _handle = handle;
        _view = file.CreateViewAccessor(0, length, access);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer + _view.PointerOffset;
    }

    public Lock Gate { get; } = new();

    /// <summary>The first byte of the view.</summary>
    public byte* Pointer { get; }

    /// <summary>True until <see cref="Dispose"/>; read it holding <see cref="Gate"/> (or on the owner's thread).</summary>
    public bool IsOpen => !_closed;

    /// <summary>Keeps the view mapped until <see cref="Unpin"/>, across <see cref="Dispose"/>; false once it is closed.</summary>
    public bool TryPin()
    {
        lock (Gate)
        {
            if (_closed)
            {
                return false;
            }

            _pins++;
            return true;
        }
    }

    /// <summary>Releases a <see cref="TryPin"/>; the last one after <see cref="Dispose"/> unmaps the view.</summary>
    public void Unpin()
    {
        lock (Gate)
        {
            if (--_pins > 0 || !_closed)
            {
                return;
            }
        }

        Unmap();
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            if (_pins > 0)
            {
                return;
            }
        }

        Unmap();
    }

    private void Unmap()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        _handle?.Dispose();
    }
}
