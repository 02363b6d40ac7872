namespace SegaLearn.Compute;

/// <summary>The sink of an update without a mirror: one chunk, nothing to do after it.</summary>
internal readonly struct NoSink : IChunkSink
{
    public static int Chunk => int.MaxValue;

    public void Take(int start, int count)
    {
    }
}
