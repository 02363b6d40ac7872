using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

public sealed partial class SimdBackend
{
    /// <summary>
    /// exp in float with one sequence of operations, written once per width and once in scalar code with the same
    /// constants, comparisons and fused multiply-adds in the same order, so a lane and a scalar give the same bits. (The libraries' versions differ: TensorPrimitives' vector code from MathF's scalar one, which is the C
    /// library's.) Denormal results come out as they do in the kernels' flush-to-zero mode and are flushed by the callers.
    /// </summary>
    /// <remarks>
    /// No float-to-int conversion: .NET 10's optimizing JIT on AVX-512 machines gave wrong integers from
    /// ConvertToInt32 of the rounded n inside the inlined sequence (sigmoid(0.5) came out 0.452), which the callers'
    /// AggressiveOptimization now exposes to the cross-width tests.
    /// </remarks>
    internal readonly struct ExpOperator : IUnaryOperator
    {
        // x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two so n·ln2 is exact), exp(r) by Cephes' degree-7 polynomial,
        // 2^n built in the exponent bits, taken as n + 127 from the low bits of n + (1.5·2²³ + 127), an exact sum. Beyond Hi the result is +∞, below Lo (where exp is denormal) +0.
        private const float Lo = -87.33654f;
        private const float Hi = 88.37626f;
        private const float Log2E = 1.44269504088896341f;
        private const float ExponentShift = 12583039f;
        private const int ExponentShiftBits = 0x4B40007F;
        private const float Ln2Hi = 0.693359375f;
        private const float Ln2Lo = -2.12194440e-4f;
        private const float E0 = 1.9875691500E-4f;
        private const float E1 = 1.3981999507E-3f;
        private const float E2 = 8.3334519073E-3f;
        private const float E3 = 4.1665795894E-2f;
        private const float E4 = 1.6666665459E-1f;
        private const float E5 = 5.0000001201E-1f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x)
        {
            var clamped = x < Lo ? Lo : x;
            clamped = clamped > Hi ? Hi : clamped;
            var n = MathF.Round(clamped * Log2E);
            var r = MathF.FusedMultiplyAdd(n, -Ln2Hi, clamped);
            r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
            var p = MathF.FusedMultiplyAdd(E0, r, E1);
            p = MathF.FusedMultiplyAdd(p, r, E2);
            p = MathF.FusedMultiplyAdd(p, r, E3);
            p = MathF.FusedMultiplyAdd(p, r, E4);
            p = MathF.FusedMultiplyAdd(p, r, E5);
            var y = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
            var e = y * BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(n + ExponentShift) - ExponentShiftBits + 127) << 23);
            return x > Hi ? float.PositiveInfinity : x < Lo ? 0f : e;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x)
        {
            var lo = Vector128.Create(Lo);
            var hi = Vector128.Create(Hi);
            var clamped = Vector128.ConditionalSelect(Vector128.LessThan(x, lo), lo, x);
            clamped = Vector128.ConditionalSelect(Vector128.GreaterThan(clamped, hi), hi, clamped);
            var n = Vector128.Round(clamped * Vector128.Create(Log2E));
            var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Hi), clamped);
            r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Lo), r);
            var p = Vector128.FusedMultiplyAdd(Vector128.Create(E0), r, Vector128.Create(E1));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(E2));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(E3));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(E4));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(E5));
            var y = Vector128.FusedMultiplyAdd(p, r * r, r) + Vector128<float>.One;
            var e = y * Vector128.ShiftLeft((n + Vector128.Create(ExponentShift)).AsInt32() - Vector128.Create(ExponentShiftBits - 127), 23).AsSingle();
            e = Vector128.ConditionalSelect(Vector128.GreaterThan(x, hi), Vector128.Create(float.PositiveInfinity), e);
            return Vector128.ConditionalSelect(Vector128.LessThan(x, lo), Vector128<float>.Zero, e);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x)
        {
            var lo = Vector256.Create(Lo);
            var hi = Vector256.Create(Hi);
            var clamped = Vector256.ConditionalSelect(Vector256.LessThan(x, lo), lo, x);
            clamped = Vector256.ConditionalSelect(Vector256.GreaterThan(clamped, hi), hi, clamped);
            var n = Vector256.Round(clamped * Vector256.Create(Log2E));
            var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), clamped);
            r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
            var p = Vector256.FusedMultiplyAdd(Vector256.Create(E0), r, Vector256.Create(E1));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E2));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E3));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E4));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E5));
            var y = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
            var e = y * Vector256.ShiftLeft((n + Vector256.Create(ExponentShift)).AsInt32() - Vector256.Create(ExponentShiftBits - 127), 23).AsSingle();
            e = Vector256.ConditionalSelect(Vector256.GreaterThan(x, hi), Vector256.Create(float.PositiveInfinity), e);
            return Vector256.ConditionalSelect(Vector256.LessThan(x, lo), Vector256<float>.Zero, e);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x)
        {
            var lo = Vector512.Create(Lo);
            var hi = Vector512.Create(Hi);
            var clamped = Vector512.ConditionalSelect(Vector512.LessThan(x, lo), lo, x);
            clamped = Vector512.ConditionalSelect(Vector512.GreaterThan(clamped, hi), hi, clamped);
            var n = Vector512.Round(clamped * Vector512.Create(Log2E));
            var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), clamped);
            r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
            var p = Vector512.FusedMultiplyAdd(Vector512.Create(E0), r, Vector512.Create(E1));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E2));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E3));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E4));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E5));
            var y = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
            var e = y * Vector512.ShiftLeft((n + Vector512.Create(ExponentShift)).AsInt32() - Vector512.Create(ExponentShiftBits - 127), 23).AsSingle();
            e = Vector512.ConditionalSelect(Vector512.GreaterThan(x, hi), Vector512.Create(float.PositiveInfinity), e);
            return Vector512.ConditionalSelect(Vector512.LessThan(x, lo), Vector512<float>.Zero, e);
        }
    }

    /// <summary>tanh with one sequence of operations in every width and in scalar code (see <see cref="ExpOperator"/>).</summary>
    internal readonly struct TanhOperator : IUnaryOperator
    {
        // An odd rational approximation p(x)/q(x) (Eigen's), with x clamped where it rounds to ±1 and returned as is
        // where tanh(x) rounds to x.
        private const float TanhClamp = 7.90531110763549805f;
        private const float TanhTiny = 0.0004f;
        private const float A1 = 4.89352455891786e-03f;
        private const float A3 = 6.37261928875436e-04f;
        private const float A5 = 1.48572235717979e-05f;
        private const float A7 = 5.12229709037114e-08f;
        private const float A9 = -8.60467152213735e-11f;
        private const float A11 = 2.00018790482477e-13f;
        private const float A13 = -2.76076847742355e-16f;
        private const float B0 = 4.89352518554385e-03f;
        private const float B2 = 2.26843463243900e-03f;
        private const float B4 = 1.18534705686654e-04f;
        private const float B6 = 1.19825839466702e-06f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x)
        {
            var c = x < -TanhClamp ? -TanhClamp : x;
            c = c > TanhClamp ? TanhClamp : c;
            var x2 = c * c;
            var p = MathF.FusedMultiplyAdd(x2, A13, A11);
            p = MathF.FusedMultiplyAdd(x2, p, A9);
            p = MathF.FusedMultiplyAdd(x2, p, A7);
            p = MathF.FusedMultiplyAdd(x2, p, A5);
            p = MathF.FusedMultiplyAdd(x2, p, A3);
            p = MathF.FusedMultiplyAdd(x2, p, A1);
            p = c * p;
            var q = MathF.FusedMultiplyAdd(x2, B6, B4);
            q = MathF.FusedMultiplyAdd(x2, q, B2);
            q = MathF.FusedMultiplyAdd(x2, q, B0);
            return MathF.Abs(x) < TanhTiny ? x : p / q;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x)
        {
            var clamp = Vector128.Create(TanhClamp);
            var c = Vector128.ConditionalSelect(Vector128.LessThan(x, -clamp), -clamp, x);
            c = Vector128.ConditionalSelect(Vector128.GreaterThan(c, clamp), clamp, c);
            var x2 = c * c;
            var p = Vector128.FusedMultiplyAdd(x2, Vector128.Create(A13), Vector128.Create(A11));
            p = Vector128.FusedMultiplyAdd(x2, p, Vector128.Create(A9));
            p = Vector128.FusedMultiplyAdd(x2, p, Vector128.Create(A7));
            p = Vector128.FusedMultiplyAdd(x2, p, Vector128.Create(A5));
            p = Vector128.FusedMultiplyAdd(x2, p, Vector128.Create(A3));
            p = Vector128.FusedMultiplyAdd(x2, p, Vector128.Create(A1));
            p = c * p;
            var q = Vector128.FusedMultiplyAdd(x2, Vector128.Create(B6), Vector128.Create(B4));
            q = Vector128.FusedMultiplyAdd(x2, q, Vector128.Create(B2));
            q = Vector128.FusedMultiplyAdd(x2, q, Vector128.Create(B0));
            return Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Abs(x), Vector128.Create(TanhTiny)), x, p / q);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x)
        {
            var clamp = Vector256.Create(TanhClamp);
            var c = Vector256.ConditionalSelect(Vector256.LessThan(x, -clamp), -clamp, x);
            c = Vector256.ConditionalSelect(Vector256.GreaterThan(c, clamp), clamp, c);
            var x2 = c * c;
            var p = Vector256.FusedMultiplyAdd(x2, Vector256.Create(A13), Vector256.Create(A11));
            p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A9));
            p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A7));
            p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A5));
            p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A3));
            p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A1));
            p = c * p;
            var q = Vector256.FusedMultiplyAdd(x2, Vector256.Create(B6), Vector256.Create(B4));
            q = Vector256.FusedMultiplyAdd(x2, q, Vector256.Create(B2));
            q = Vector256.FusedMultiplyAdd(x2, q, Vector256.Create(B0));
            return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(TanhTiny)), x, p / q);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x)
        {
            var clamp = Vector512.Create(TanhClamp);
            var c = Vector512.ConditionalSelect(Vector512.LessThan(x, -clamp), -clamp, x);
            c = Vector512.ConditionalSelect(Vector512.GreaterThan(c, clamp), clamp, c);
            var x2 = c * c;
            var p = Vector512.FusedMultiplyAdd(x2, Vector512.Create(A13), Vector512.Create(A11));
            p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A9));
            p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A7));
            p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A5));
            p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A3));
            p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A1));
            p = c * p;
            var q = Vector512.FusedMultiplyAdd(x2, Vector512.Create(B6), Vector512.Create(B4));
            q = Vector512.FusedMultiplyAdd(x2, q, Vector512.Create(B2));
            q = Vector512.FusedMultiplyAdd(x2, q, Vector512.Create(B0));
            return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(TanhTiny)), x, p / q);
        }
    }

    /// <summary>σ(x) = 1 / (1 + exp(-x)): exp's overflow to +∞ below -88.4 gives 0, as σ's true value flushes to.</summary>
    internal readonly struct SigmoidOperator : IUnaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => 1f / (1f + default(ExpOperator).Invoke(-x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / (Vector128<float>.One + default(ExpOperator).Invoke(-x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + default(ExpOperator).Invoke(-x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + default(ExpOperator).Invoke(-x));
    }
}
