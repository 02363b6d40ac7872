namespace SegaLearn.Training;

/// <summary>
/// Gradient-sized buffers, allocated once and reused so steady-state steps allocate nothing. Thread-safe: the
/// coordinator rents from its actor and the data plane's read threads rent for incoming gradients.
/// </summary>
public sealed class GradientBufferPool(int length)
{
    private readonly Stack<float[]> _free = new();
    private readonly Lock _gate = new();

    public int Length { get; } = length;

    public float[] Rent()
    {
        lock (_gate)
        {
            if (_free.Count > 0)
            {
                return _free.Pop();
            }
        }

        return new float[Length];
    }

    public void Return(float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != Length)
        {
            throw new ArgumentException($"buffer of {buffer.Length} values returned to a pool of {Length}", nameof(buffer));
        }

        lock (_gate)
        {
            _free.Push(buffer);
        }
    }
}
