namespace SegaLearn.Training;

/// <summary>
/// A unit of assignment: microbatches [<see cref="FirstMicrobatch"/>, +<see cref="MicrobatchCount"/>) of a step, covering
/// batch positions [<see cref="FirstSample"/>, +<see cref="SampleCount"/>). Blocks are aligned power-of-two runs
/// (the last one of a step possibly shorter), so each is a subtree of the fixed reduction tree.
/// </summary>
public readonly record struct WorkBlock(int Index, int FirstMicrobatch, int MicrobatchCount, int FirstSample, int SampleCount)
{
    /// <summary>
    /// Cuts a batch into blocks of the largest power of two of microbatches that still gives every one of
    /// <paramref name="workers"/> workers a block when it can; the math does not depend on the cut.
    /// </summary>
    public static WorkBlock[] Plan(int batchSize, int microbatchSize, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        var microbatches = Microbatch.CountFor(batchSize, microbatchSize);
        var blockSize = 1;
        while (blockSize * 2 <= Math.Max(1, microbatches / workers))
        {
            blockSize *= 2;
        }

        var blocks = new WorkBlock[(microbatches + blockSize - 1) / blockSize];
        for (var b = 0; b < blocks.Length; b++)
        {
            var first = b * blockSize;
            var count = Math.Min(blockSize, microbatches - first);
            var start = first * microbatchSize;
            var samples = Math.Min(batchSize, (first + count) * microbatchSize) - start;
            blocks[b] = new WorkBlock(b, first, count, start, samples);
        }

        return blocks;
    }
}
