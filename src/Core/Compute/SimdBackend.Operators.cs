using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

// The element-wise operators of the kernels, each run by one WidthLoop shape. Every overload of an operator performs
// the scalar overload's operations in the same order (no fused multiply-add the scalar code lacks), so each width gives
// the scalar bits.
public sealed partial class SimdBackend
{
    /// <summary><typeparamref name="TOp"/> flushed to zero where denormal (see <see cref="Denormals"/>): how the kernels store activations.</summary>
    internal readonly struct FlushedUnary<TOp>(TOp op) : IUnaryOperator
        where TOp : struct, IUnaryOperator
    {
        private readonly TOp _op = op;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => Denormals.Flush(_op.Invoke(x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => Denormals.Flush(_op.Invoke(x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => Denormals.Flush(_op.Invoke(x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => Denormals.Flush(_op.Invoke(x));
    }

    /// <summary><typeparamref name="TOp"/> flushed to zero where denormal (see <see cref="Denormals"/>).</summary>
    internal readonly struct FlushedBinary<TOp>(TOp op) : IBinaryOperator
        where TOp : struct, IBinaryOperator
    {
        private readonly TOp _op = op;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => Denormals.Flush(_op.Invoke(x, y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Denormals.Flush(_op.Invoke(x, y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Denormals.Flush(_op.Invoke(x, y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Denormals.Flush(_op.Invoke(x, y));
    }

    /// <summary>exp(x - shift): softmax's numerators, shifted by the row's maximum.</summary>
    internal readonly struct ShiftedExpOperator(float shift) : IUnaryOperator
    {
        private readonly Broadcast _shift = new(shift);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => default(ExpOperator).Invoke(x - _shift.Scalar);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => default(ExpOperator).Invoke(x - _shift.V128);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => default(ExpOperator).Invoke(x - _shift.V256);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => default(ExpOperator).Invoke(x - _shift.V512);
    }

    /// <summary>max(x, 0), with +0 for x ≤ 0 and NaN.</summary>
    internal readonly struct ReLUOperator : IUnaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => x > 0 ? x : 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, Vector512<float>.Zero);
    }

    /// <summary>x &gt; 0 ? x : alpha·x.</summary>
    internal readonly struct LeakyReLUOperator(float alpha) : IUnaryOperator
    {
        private readonly Broadcast _alpha = new(alpha);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => x > 0 ? x : x * _alpha.Scalar;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, x * _alpha.V128);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * _alpha.V256);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * _alpha.V512);
    }

    /// <summary>x·scale.</summary>
    internal readonly struct ScaleOperator(float scale) : IUnaryOperator
    {
        private readonly Broadcast _scale = new(scale);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => x * _scale.Scalar;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => x * _scale.V128;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => x * _scale.V256;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => x * _scale.V512;
    }

    /// <summary>x + y.</summary>
    internal readonly struct AddOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
    }

    /// <summary>bf16(x) (<see cref="BFloat16.Round(float)"/>).</summary>
    internal readonly struct BFloat16RoundOperator : IUnaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => BFloat16.Round(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => BFloat16.Round(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => BFloat16.Round(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => BFloat16.Round(x);
    }

    /// <summary>bf16(flush(bf16(x) + bf16(y))): a node of the reduction tree in bfloat16.</summary>
    internal readonly struct BFloat16AddOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => BFloat16.Round(Denormals.Flush(BFloat16.Round(x) + BFloat16.Round(y)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => BFloat16.Round(Denormals.Flush(BFloat16.Round(x) + BFloat16.Round(y)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => BFloat16.Round(Denormals.Flush(BFloat16.Round(x) + BFloat16.Round(y)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => BFloat16.Round(Denormals.Flush(BFloat16.Round(x) + BFloat16.Round(y)));
    }

    /// <summary>x·y.</summary>
    internal readonly struct MultiplyOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => x * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
    }

    /// <summary>x·scale + alpha·y.</summary>
    internal readonly struct ScaleAddOperator(float scale, float alpha) : IBinaryOperator
    {
        private readonly Broadcast _scale = new(scale);

        private readonly Broadcast _alpha = new(alpha);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => x * _scale.Scalar + _alpha.Scalar * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * _scale.V128 + _alpha.V128 * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * _scale.V256 + _alpha.V256 * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * _scale.V512 + _alpha.V512 * y;
    }

    /// <summary>The gradient x where the pre-activation y is positive, else 0.</summary>
    internal readonly struct ReLUGradientOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => y > 0 ? x : 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), x, Vector128<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), x, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), x, Vector512<float>.Zero);
    }

    /// <summary>The gradient x where the pre-activation y is positive, else alpha·x.</summary>
    internal readonly struct LeakyReLUGradientOperator(float alpha) : IBinaryOperator
    {
        private readonly Broadcast _alpha = new(alpha);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => y > 0 ? x : x * _alpha.Scalar;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), x, x * _alpha.V128);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), x, x * _alpha.V256);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), x, x * _alpha.V512);
    }

    /// <summary>The gradient x times tanh's derivative 1 - y² at the output y.</summary>
    internal readonly struct TanhGradientOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => x * (1f - y * y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * (Vector128<float>.One - y * y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * (Vector256<float>.One - y * y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * (Vector512<float>.One - y * y);
    }

    /// <summary>The gradient x times σ's derivative y·(1 - y) at the output y.</summary>
    internal readonly struct SigmoidGradientOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => x * (y * (1f - y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * (y * (Vector128<float>.One - y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * (y * (Vector256<float>.One - y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * (y * (Vector512<float>.One - y));
    }

    /// <summary>x / divisor: softmax's normalization by the row's sum.</summary>
    internal readonly struct DivideOperator(float divisor) : IUnaryOperator
    {
        private readonly Broadcast _divisor = new(divisor);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => x / _divisor.Scalar;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => x / _divisor.V128;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => x / _divisor.V256;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => x / _divisor.V512;
    }

    /// <summary>Softmax's backward step for the gradient x at the output y: y·(x - dot), dot being the row's Σ gradient·output.</summary>
    internal readonly struct SoftmaxGradientOperator(float dot) : IBinaryOperator
    {
        private readonly Broadcast _dot = new(dot);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float y) => y * (x - _dot.Scalar);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => y * (x - _dot.V128);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => y * (x - _dot.V256);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => y * (x - _dot.V512);
    }
}
