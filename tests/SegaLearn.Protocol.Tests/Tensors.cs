using System.Runtime.InteropServices;

namespace SegaLearn.Protocol.Tests;

/// <summary>Tensors for data-plane tests: random bit patterns (NaNs and denormals included) and their exact bits.</summary>
internal static class Tensors
{
    public static float[] RandomBits(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        random.NextBytes(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    public static int[] BitsOf(float[] values) => MemoryMarshal.Cast<float, int>(values.AsSpan()).ToArray();
}
