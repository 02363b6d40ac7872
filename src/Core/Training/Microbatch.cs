namespace SegaLearn.Training;

/// <summary>
/// Microbatch <see cref="Index"/> of a step: the batch positions [<see cref="Start"/>, Start + <see cref="Count"/>).
/// </summary>
public readonly record struct Microbatch(int Index, int Start, int Count)
{
    /// <summary>Number of microbatches a batch of <paramref name="batchSize"/> samples is cut into.</summary>
    public static int CountFor(int batchSize, int microbatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(microbatchSize);
        return (batchSize + microbatchSize - 1) / microbatchSize;
    }

    /// <summary>
    /// The cut depends only on the batch size and the microbatch size, never on the number of workers:
    /// fixed-size microbatches, the last one possibly shorter.
    /// </summary>
    public static Microbatch Get(int index, int batchSize, int microbatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var start = index * microbatchSize;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(start, batchSize, nameof(index));
        return new Microbatch(index, start, Math.Min(microbatchSize, batchSize - start));
    }
}
