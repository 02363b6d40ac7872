using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <summary>
/// Flush-to-zero for the values training keeps: every backend passes the parameters, optimizer state, gradient sums
/// and activation outputs it writes through <see cref="Flush(float)"/> (or a vector overload), so no denormal float
/// (magnitude below <see cref="SmallestNormal"/>) survives a step. On x86 an arithmetic operation on a denormal
/// takes a microcode assist of about a hundred cycles, and with L2 and Adam's decay the weights of inputs that are
/// always zero decay into that range (a third of a Fashion-MNIST network's first layer within an epoch).
/// </summary>
/// <remarks>
/// The flush is explicit rather than the processor's FTZ/DAZ mode: .NET exposes no control of MXCSR (or of FPCR on
/// Arm), the mode would have to be set on every thread that touches a tensor (kernel helpers, the thread pool, actor
/// dispatchers) in every process of a cluster, and it would also change the arithmetic of code that is no kernel.
/// Written into the passes that already store the values, it is the same operation on every width, thread count,
/// backend and machine, so the bits stay the same for any placement. Zero keeps its sign rule simple: a denormal of
/// either sign becomes +0; NaN and infinities pass unchanged, so divergence is still seen.
/// </remarks>
public static class Denormals
{
    /// <summary>The smallest positive normal float, 2⁻¹²⁶.</summary>
    public const float SmallestNormal = 1.17549435E-38f;

    /// <summary>+0 when |x| is below <see cref="SmallestNormal"/> (a denormal or a zero), otherwise x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Flush(float x) => MathF.Abs(x) < SmallestNormal ? 0f : x;

    /// <summary>Lane-wise <see cref="Flush(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Flush(Vector128<float> x) =>
        Vector128.AndNot(x, Vector128.LessThan(Vector128.Abs(x), Vector128.Create(SmallestNormal)));

    /// <summary>Lane-wise <see cref="Flush(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Flush(Vector256<float> x) =>
        Vector256.AndNot(x, Vector256.LessThan(Vector256.Abs(x), Vector256.Create(SmallestNormal)));

    /// <summary>Lane-wise <see cref="Flush(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Flush(Vector512<float> x) =>
        Vector512.AndNot(x, Vector512.LessThan(Vector512.Abs(x), Vector512.Create(SmallestNormal)));

    /// <summary>Flushes every element of <paramref name="values"/> in place.</summary>
    public static void Flush(Span<float> values) => WidthLoop.Map(SimdBackend.Widest, new FlushOperator(), values, values);

    /// <summary>Whether <paramref name="x"/> is a denormal float: non-zero and below <see cref="SmallestNormal"/> in magnitude.</summary>
    public static bool IsDenormal(float x) => x != 0f && MathF.Abs(x) < SmallestNormal;

    /// <summary>How many elements of <paramref name="values"/> are denormal.</summary>
    public static long Count(ReadOnlySpan<float> values)
    {
        long count = 0;
        foreach (var x in values)
        {
            if (IsDenormal(x))
            {
                count++;
            }
        }

        return count;
    }
}
