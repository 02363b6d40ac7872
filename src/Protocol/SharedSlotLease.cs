namespace SegaLearn.Protocol;

/// <summary>
/// A hold on a gradient slot of a <see cref="SharedTensorFile"/>: while it is held, the file stays mapped (closing the
/// file waits for it), so <see cref="Gradient"/> may be read in place. Dispose it on the thread that took it.
/// </summary>
public readonly ref struct SharedSlotLease
{
    private readonly Lock? _gate;

    internal SharedSlotLease(Lock gate, ReadOnlyMemory<float> gradient)
    {
        _gate = gate;
        Gradient = gradient;
    }

    /// <summary>False when the file was closed (the worker's connection is gone): there is nothing to read.</summary>
    public bool IsHeld => _gate is not null;

    public ReadOnlyMemory<float> Gradient { get; }

    public void Dispose() => _gate?.Exit();
}
