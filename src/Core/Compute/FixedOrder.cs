using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <summary>
/// Horizontal reductions in one association order that no vector width changes, so that every width (and every
/// machine) gives the same bits. The order: 16 lanes, lane l taking the elements at i ≡ l (mod 16) of the whole
/// 16-element blocks, in i order; then lanes paired (l, l+8), (l, l+4), (l, l+2), (l, l+1), each pair one rounding;
/// then the remaining <c>length mod 16</c> elements one by one (all of them, from the first, when there are fewer
/// than 16). A Vector512 holds the 16 lanes, two Vector256 or four
/// Vector128 hold them side by side, and the scalar path keeps them in a 16-float array: each narrower path performs
/// exactly the wide path's operations. (TensorPrimitives' sums take whatever width the machine has, up to Vector512,
/// and so differ between machines in the last bits.)
/// </summary>
internal static class FixedOrder
{
    private const int Lanes = 16;

    /// <summary>Σ x[i] in the fixed order.</summary>
    public static float Sum(VectorWidth width, ReadOnlySpan<float> x) => Reduce<AddOp>(width, x, x, 0f);

    /// <summary>max x[i] (IEEE maximum: NaN wins, +0 above -0); -∞ for an empty span.</summary>
    public static float Max(VectorWidth width, ReadOnlySpan<float> x) => Reduce<MaxOp>(width, x, x, float.NegativeInfinity);

    /// <summary>Σ x[i]·y[i] in the fixed order, each lane's products fused into its sum.</summary>
    public static float Dot(VectorWidth width, ReadOnlySpan<float> x, ReadOnlySpan<float> y) => Reduce<DotOp>(width, x, y[..x.Length], 0f);

    /// <summary>
    /// Σ x[i]² in double: 8 lanes over the whole 8-element blocks, paired (l, l+4), (l, l+2), (l, l+1), then the rest in
    /// order. A float's square is exact in double, so only the additions round, the same ones in every width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares(VectorWidth width, ReadOnlySpan<float> x)
    {
        ref var start = ref MemoryMarshal.GetReference(x);
        var blocks = x.Length / 8 * 8;
        var i = 0;
        double sum;
        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            Vector256<double> low = default, high = default;
            for (; i < blocks; i += 8)
            {
                var (l, h) = Vector256.Widen(Vector256.LoadUnsafe(ref start, (nuint)i));
                low += l * l;
                high += h * h;
            }

            var four = low + high;
            sum = (four[0] + four[2]) + (four[1] + four[3]);
        }
        else
        {
            Vector128<double> l0 = default, l1 = default, l2 = default, l3 = default;
            for (; i < blocks; i += 8)
            {
                var (a, b) = Vector128.Widen(Vector128.LoadUnsafe(ref start, (nuint)i));
                var (c, d) = Vector128.Widen(Vector128.LoadUnsafe(ref start, (nuint)i + 4));
                l0 += a * a;
                l1 += b * b;
                l2 += c * c;
                l3 += d * d;
            }

            var lower = l0 + l2;
            var upper = l1 + l3;
            sum = (lower[0] + upper[0]) + (lower[1] + upper[1]);
        }

        for (; i < x.Length; i++)
        {
            sum += (double)x[i] * x[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Reduce<TOp>(VectorWidth width, ReadOnlySpan<float> x, ReadOnlySpan<float> y, float empty)
        where TOp : struct, IReduceOp
    {
        if (x.IsEmpty)
        {
            return empty;
        }

        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ys = ref MemoryMarshal.GetReference(y);
        var blocks = x.Length / Lanes * Lanes;
        float result;
        if (blocks == 0)
        {
            result = TOp.Start(x[0], y[0]);
            for (var j = 1; j < x.Length; j++)
            {
                result = TOp.Step(result, x[j], y[j]);
            }

            return result;
        }

        switch (width)
        {
            case VectorWidth.V512:
            {
                var acc = TOp.Start(Vector512.LoadUnsafe(ref xs), Vector512.LoadUnsafe(ref ys));
                for (var i = Lanes; i < blocks; i += Lanes)
                {
                    acc = TOp.Step(acc, Vector512.LoadUnsafe(ref xs, (nuint)i), Vector512.LoadUnsafe(ref ys, (nuint)i));
                }

                result = Finish<TOp>(TOp.Combine(acc.GetLower(), acc.GetUpper()));
                break;
            }

            case VectorWidth.V256:
            {
                var a0 = TOp.Start(Vector256.LoadUnsafe(ref xs), Vector256.LoadUnsafe(ref ys));
                var a1 = TOp.Start(Vector256.LoadUnsafe(ref xs, 8), Vector256.LoadUnsafe(ref ys, 8));
                for (var i = Lanes; i < blocks; i += Lanes)
                {
                    a0 = TOp.Step(a0, Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i));
                    a1 = TOp.Step(a1, Vector256.LoadUnsafe(ref xs, (nuint)i + 8), Vector256.LoadUnsafe(ref ys, (nuint)i + 8));
                }

                result = Finish<TOp>(TOp.Combine(a0, a1));
                break;
            }

            case VectorWidth.V128:
            {
                var a0 = TOp.Start(Vector128.LoadUnsafe(ref xs), Vector128.LoadUnsafe(ref ys));
                var a1 = TOp.Start(Vector128.LoadUnsafe(ref xs, 4), Vector128.LoadUnsafe(ref ys, 4));
                var a2 = TOp.Start(Vector128.LoadUnsafe(ref xs, 8), Vector128.LoadUnsafe(ref ys, 8));
                var a3 = TOp.Start(Vector128.LoadUnsafe(ref xs, 12), Vector128.LoadUnsafe(ref ys, 12));
                for (var i = Lanes; i < blocks; i += Lanes)
                {
                    a0 = TOp.Step(a0, Vector128.LoadUnsafe(ref xs, (nuint)i), Vector128.LoadUnsafe(ref ys, (nuint)i));
                    a1 = TOp.Step(a1, Vector128.LoadUnsafe(ref xs, (nuint)i + 4), Vector128.LoadUnsafe(ref ys, (nuint)i + 4));
                    a2 = TOp.Step(a2, Vector128.LoadUnsafe(ref xs, (nuint)i + 8), Vector128.LoadUnsafe(ref ys, (nuint)i + 8));
                    a3 = TOp.Step(a3, Vector128.LoadUnsafe(ref xs, (nuint)i + 12), Vector128.LoadUnsafe(ref ys, (nuint)i + 12));
                }

                result = Finish<TOp>(TOp.Combine(TOp.Combine(a0, a2), TOp.Combine(a1, a3)));
                break;
            }

            default:
                result = ReduceScalar<TOp>(x, y, blocks);
                break;
        }

        for (var j = blocks; j < x.Length; j++)
        {
            result = TOp.Step(result, x[j], y[j]);
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ReduceScalar<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int blocks)
        where TOp : struct, IReduceOp
    {
        Span<float> lanes = stackalloc float[Lanes];
        for (var l = 0; l < Lanes; l++)
        {
            lanes[l] = TOp.Start(x[l], y[l]);
        }

        for (var i = Lanes; i < blocks; i += Lanes)
        {
            for (var l = 0; l < Lanes; l++)
            {
                lanes[l] = TOp.Step(lanes[l], x[i + l], y[i + l]);
            }
        }

        for (var half = Lanes / 2; half >= 1; half /= 2)
        {
            for (var l = 0; l < half; l++)
            {
                lanes[l] = TOp.Combine(lanes[l], lanes[l + half]);
            }
        }

        return lanes[0];
    }

    /// <summary>Lanes (l, l+4), then (l, l+2), then (0, 1) of the eight left after the (l, l+8) pairing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish<TOp>(Vector256<float> eight)
        where TOp : struct, IReduceOp => Finish<TOp>(TOp.Combine(eight.GetLower(), eight.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish<TOp>(Vector128<float> four)
        where TOp : struct, IReduceOp => TOp.Combine(TOp.Combine(four[0], four[2]), TOp.Combine(four[1], four[3]));

    /// <summary>One reduction: a lane's first value, a lane's step over one more element, and the pairing of two lanes.</summary>
    private interface IReduceOp
    {
        static abstract float Start(float x, float y);

        static abstract float Step(float acc, float x, float y);

        static abstract float Combine(float left, float right);

        static abstract Vector128<float> Start(Vector128<float> x, Vector128<float> y);

        static abstract Vector128<float> Step(Vector128<float> acc, Vector128<float> x, Vector128<float> y);

        static abstract Vector128<float> Combine(Vector128<float> left, Vector128<float> right);

        static abstract Vector256<float> Start(Vector256<float> x, Vector256<float> y);

        static abstract Vector256<float> Step(Vector256<float> acc, Vector256<float> x, Vector256<float> y);

        static abstract Vector256<float> Combine(Vector256<float> left, Vector256<float> right);

        static abstract Vector512<float> Start(Vector512<float> x, Vector512<float> y);

        static abstract Vector512<float> Step(Vector512<float> acc, Vector512<float> x, Vector512<float> y);
    }

    private readonly struct AddOp : IReduceOp
    {
        public static float Start(float x, float y) => x;

        public static float Step(float acc, float x, float y) => acc + x;

        public static float Combine(float left, float right) => left + right;

        public static Vector128<float> Start(Vector128<float> x, Vector128<float> y) => x;

        public static Vector128<float> Step(Vector128<float> acc, Vector128<float> x, Vector128<float> y) => acc + x;

        public static Vector128<float> Combine(Vector128<float> left, Vector128<float> right) => left + right;

        public static Vector256<float> Start(Vector256<float> x, Vector256<float> y) => x;

        public static Vector256<float> Step(Vector256<float> acc, Vector256<float> x, Vector256<float> y) => acc + x;

        public static Vector256<float> Combine(Vector256<float> left, Vector256<float> right) => left + right;

        public static Vector512<float> Start(Vector512<float> x, Vector512<float> y) => x;

        public static Vector512<float> Step(Vector512<float> acc, Vector512<float> x, Vector512<float> y) => acc + x;
    }

    private readonly struct MaxOp : IReduceOp
    {
        public static float Start(float x, float y) => x;

        public static float Step(float acc, float x, float y) => MathF.Max(acc, x);

        public static float Combine(float left, float right) => MathF.Max(left, right);

        public static Vector128<float> Start(Vector128<float> x, Vector128<float> y) => x;

        public static Vector128<float> Step(Vector128<float> acc, Vector128<float> x, Vector128<float> y) => Vector128.Max(acc, x);

        public static Vector128<float> Combine(Vector128<float> left, Vector128<float> right) => Vector128.Max(left, right);

        public static Vector256<float> Start(Vector256<float> x, Vector256<float> y) => x;

        public static Vector256<float> Step(Vector256<float> acc, Vector256<float> x, Vector256<float> y) => Vector256.Max(acc, x);

        public static Vector256<float> Combine(Vector256<float> left, Vector256<float> right) => Vector256.Max(left, right);

        public static Vector512<float> Start(Vector512<float> x, Vector512<float> y) => x;

        public static Vector512<float> Step(Vector512<float> acc, Vector512<float> x, Vector512<float> y) => Vector512.Max(acc, x);
    }

    private readonly struct DotOp : IReduceOp
    {
        public static float Start(float x, float y) => x * y;

        public static float Step(float acc, float x, float y) => MathF.FusedMultiplyAdd(x, y, acc);

        public static float Combine(float left, float right) => left + right;

        public static Vector128<float> Start(Vector128<float> x, Vector128<float> y) => x * y;

        public static Vector128<float> Step(Vector128<float> acc, Vector128<float> x, Vector128<float> y) => Vector128.FusedMultiplyAdd(x, y, acc);

        public static Vector128<float> Combine(Vector128<float> left, Vector128<float> right) => left + right;

        public static Vector256<float> Start(Vector256<float> x, Vector256<float> y) => x * y;

        public static Vector256<float> Step(Vector256<float> acc, Vector256<float> x, Vector256<float> y) => Vector256.FusedMultiplyAdd(x, y, acc);

        public static Vector256<float> Combine(Vector256<float> left, Vector256<float> right) => left + right;

        public static Vector512<float> Start(Vector512<float> x, Vector512<float> y) => x * y;

        public static Vector512<float> Step(Vector512<float> acc, Vector512<float> x, Vector512<float> y) => Vector512.FusedMultiplyAdd(x, y, acc);
    }
}
