using System.Buffers;

namespace SegaLearn.Protocol;

/// <summary>Memory over a mapped region, so a worker's model reads the parameters where they were written.</summary>
internal sealed unsafe class MappedRegionMemory(float* start, int length) : MemoryManager<float>
{
    public override Span<float> GetSpan() => new(start, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
