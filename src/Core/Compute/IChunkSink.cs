namespace SegaLearn.Compute;

/// <summary>
/// Called by <see cref="WidthLoop.Update"/> after each chunk of <see cref="Chunk"/> updated weights, while they are
/// still in L1: the optimizers' mirror copy (<see cref="MirrorSink"/>) or nothing (<see cref="NoSink"/>).
/// </summary>
internal interface IChunkSink
{
    /// <summary>Elements per chunk, a multiple of 16 so that chunking changes no width's share of the elements.</summary>
    static abstract int Chunk { get; }

    void Take(int start, int count);
}
