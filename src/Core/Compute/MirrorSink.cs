namespace SegaLearn.Compute;

/// <summary>Copies each chunk of updated weights to the mirror at the same offsets (see <see cref="IComputeBackend.AdamUpdate"/>).</summary>
internal readonly unsafe struct MirrorSink(float* weights, float* mirror) : IChunkSink
{
    /// <summary>Small enough that the chunk just written is still in L1 when it is copied.</summary>
    public static int Chunk => 2048;

    public void Take(int start, int count) =>
        Buffer.MemoryCopy(weights + start, mirror + start, (long)count * sizeof(float), (long)count * sizeof(float));
}
