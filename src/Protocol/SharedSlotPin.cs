namespace SegaLearn.Protocol;

/// <summary>
/// A hold on a gradient slot of a <see cref="SharedTensorFile"/>: the file stays mapped while it is held, even after
/// the file is closed (its worker gone), so <see cref="Gradient"/> may be read in place, from any thread, until the pin
/// is disposed. Unlike a lock it may outlive the call that took it: the coordinator keeps a step's gradients where the
/// workers wrote them until it reduces them.
/// </summary>
public sealed class SharedSlotPin : IDisposable
{
    private MappedView? _view;

    internal SharedSlotPin(MappedView view, ReadOnlyMemory<float> gradient)
    {
        _view = view;
        Gradient = gradient;
    }

    /// <summary>The slot's values; not to be read after <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<float> Gradient { get; }

    public void Dispose() => Interlocked.Exchange(ref _view, null)?.Unpin();
}
