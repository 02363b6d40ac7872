namespace SegaLearn.Training;

/// <summary>Gradient-sized buffers, allocated once and reused so steady-state steps allocate nothing. Not thread-safe.</summary>
public sealed class GradientBufferPool(int length)
{
    private readonly Stack<float[]> _free = new();

    public int Length { get; } = length;

    public float[] Rent() => _free.Count > 0 ? _free.Pop() : new float[Length];

    public void Return(float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != Length)
        {
            throw new ArgumentException($"buffer of {buffer.Length} values returned to a pool of {Length}", nameof(buffer));
        }

        _free.Push(buffer);
    }
}
